package yubikey

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/go-piv/piv-go/v2/piv"
)

// A long-lived process (the console) does its card work in a short-lived
// helper process: the same binary, run as "ony-tui piv-helper". Two
// reasons:
//
//   - piv-go's Open leaks its PC/SC handle, still holding the reader
//     exclusively, when selecting the PIV applet fails (a card pulled
//     between connect and select, or a card that is not a PIV card in
//     another reader). In the console that would lock the reader away from
//     every other program until it quit; a helper's handles die with it.
//   - piv-go cannot cancel a signature. A helper can be killed: a card or
//     pcscd that stops answering costs one bounded wait, not the channel.
//
// The helper reads one JSON request on stdin and writes one JSON response
// on stdout. The PIN travels on the pipe, never on a command line.

// HelperArg is the command-line word that makes ony-tui a helper.
const HelperArg = "piv-helper"

// Helper is how to start the helper process.
type Helper struct {
	Path string   // the executable
	Args []string // its arguments (after Path)
	Env  []string // its environment; nil inherits this process's
}

// NewIsolatedKeys returns a channel whose card operations (finding cards
// and signing) each run in a fresh helper process. Enrolment, which is
// interactive and runs in a short-lived CLI process, stays in process.
func NewIsolatedKeys(h Helper) *Keys {
	k := NewKeys()
	k.helper = &h
	return k
}

type helperRequest struct {
	Op        string `json:"op"` // "scan" or "sign"
	Reader    string `json:"reader,omitempty"`
	Serial    uint32 `json:"serial,omitempty"`
	Slot      string `json:"slot,omitempty"`
	PublicKey string `json:"public_key,omitempty"` // PKIX DER, hex
	PINPolicy string `json:"pin_policy,omitempty"`
	PIN       string `json:"pin,omitempty"`
	Digest    string `json:"digest,omitempty"` // hex
}

type helperCard struct {
	Reader     string `json:"reader"`
	Serial     uint32 `json:"serial"`
	Version    [3]int `json:"version"`
	FormFactor int    `json:"form_factor"`
}

type helperResponse struct {
	Cards     []helperCard `json:"cards,omitempty"`
	Busy      int          `json:"busy,omitempty"`
	Reader    string       `json:"reader,omitempty"`
	Signature string       `json:"signature,omitempty"`
	Err       *helperError `json:"error,omitempty"`
}

type helperError struct {
	Kind    string   `json:"kind"`
	Message string   `json:"message"`
	Cause   string   `json:"cause,omitempty"`
	Want    []uint32 `json:"want,omitempty"`
	Found   []uint32 `json:"found,omitempty"`
	Retries int      `json:"retries,omitempty"`
}

var errorKinds = map[string]error{
	"no-service": ErrNoService, "no-card": ErrNoCard, "busy": ErrCardBusy, "touch-timeout": ErrTouchTimeout,
	"removed": ErrCardRemoved, "pin-blocked": ErrPINBlocked, "pin-required": ErrPINRequired,
	"key-missing": ErrKeyMissing, "key-mismatch": ErrKeyMismatch, "hung": ErrHung, "card": ErrCard,
}

func encodeError(err error) *helperError {
	if err == nil {
		return nil
	}
	he := &helperError{Kind: "other", Message: err.Error(), Cause: Cause(err)}
	var wc *WrongCardError
	var wp WrongPINError
	switch {
	case errors.As(err, &wc):
		he.Kind, he.Want, he.Found = "wrong-card", wc.Want, wc.Found
		return he
	case errors.As(err, &wp):
		he.Kind, he.Retries = "wrong-pin", wp.Retries
		return he
	}
	for k, sentinel := range errorKinds {
		if errors.Is(err, sentinel) {
			he.Kind = k
			break
		}
	}
	return he
}

func decodeError(he *helperError) error {
	if he == nil {
		return nil
	}
	var cause error
	if he.Cause != "" {
		cause = errors.New(he.Cause)
	}
	switch he.Kind {
	case "wrong-card":
		return &WrongCardError{Want: he.Want, Found: he.Found}
	case "wrong-pin":
		return WrongPINError{Retries: he.Retries}
	}
	if k, ok := errorKinds[he.Kind]; ok {
		if cause == nil {
			return k
		}
		return wrap(k, cause)
	}
	return errors.New(he.Message)
}

// RunHelper is the helper process's main: one request, one response. It
// returns the exit code.
func RunHelper(stdin io.Reader, stdout io.Writer) (code int) {
	var resp helperResponse
	defer func() {
		if r := recover(); r != nil {
			resp = helperResponse{Err: &helperError{Kind: "card", Message: ErrCard.Error(), Cause: fmt.Sprint(r)}}
		}
		if err := json.NewEncoder(stdout).Encode(resp); err != nil {
			code = 1
		}
	}()
	var req helperRequest
	dec := json.NewDecoder(io.LimitReader(stdin, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		resp.Err = &helperError{Kind: "other", Message: "piv-helper: bad request: " + err.Error()}
		return 2
	}
	switch req.Op {
	case "scan":
		cards, busy, err := scan(true)
		for _, c := range cards {
			resp.Cards = append(resp.Cards, helperCard{Reader: c.Reader, Serial: c.Serial,
				Version: [3]int{c.Version.Major, c.Version.Minor, c.Version.Patch}, FormFactor: int(c.FormFactor)})
		}
		resp.Busy, resp.Err = busy, encodeError(err)
	case "sign":
		sig, reader, err := signRequest(&req)
		resp.Signature, resp.Reader, resp.Err = hex.EncodeToString(sig), reader, encodeError(err)
	default:
		resp.Err = &helperError{Kind: "other", Message: "piv-helper: unknown op " + req.Op}
		return 2
	}
	return 0
}

func signRequest(req *helperRequest) ([]byte, string, error) {
	der, err := hex.DecodeString(req.PublicKey)
	if err != nil {
		return nil, "", errors.New("piv-helper: public key is not hex")
	}
	p, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, "", err
	}
	pub, ok := p.(*ecdsa.PublicKey)
	if !ok {
		return nil, "", errors.New("piv-helper: not an ECDSA key")
	}
	slot, err := slotOf(req.Slot)
	if err != nil {
		return nil, "", err
	}
	pp, err := ParsePINPolicy(req.PINPolicy)
	if err != nil {
		return nil, "", err
	}
	digest, err := hex.DecodeString(req.Digest)
	if err != nil {
		return nil, "", errors.New("piv-helper: digest is not hex")
	}
	return signOnce(req.Reader, req.Serial, slot, pub, pp, req.PIN, digest)
}

// call runs one helper request, killing the helper if it outlives ctx.
func (h *Helper) call(ctx context.Context, req helperRequest) (helperResponse, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return helperResponse{}, err
	}
	cmd := exec.CommandContext(ctx, h.Path, h.Args...)
	cmd.Env = h.Env
	cmd.Stdin = bytes.NewReader(in)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return helperResponse{}, wrap(ErrHung, fmt.Errorf("the piv helper was stopped after %s: %w", opTimeout, ctx.Err()))
	}
	resp, err := decodeResponse(out.Bytes())
	if err != nil {
		msg := strings.TrimSpace(errb.String())
		if runErr != nil {
			msg = runErr.Error() + ": " + msg
		}
		return helperResponse{}, wrap(ErrCard, fmt.Errorf("the piv helper failed: %s", msg))
	}
	return resp, decodeError(resp.Err)
}

// decodeResponse reads a helper's answer strictly.
func decodeResponse(b []byte) (helperResponse, error) {
	var resp helperResponse
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&resp); err != nil {
		return helperResponse{}, err
	}
	if dec.More() {
		return helperResponse{}, errors.New("trailing data")
	}
	return resp, nil
}

func (r helperResponse) cards() []Card {
	out := make([]Card, 0, len(r.Cards))
	for _, c := range r.Cards {
		out = append(out, Card{Reader: c.Reader, Serial: c.Serial,
			Version: piv.Version{Major: c.Version[0], Minor: c.Version[1], Patch: c.Version[2]}, FormFactor: piv.Formfactor(c.FormFactor)})
	}
	return out
}
