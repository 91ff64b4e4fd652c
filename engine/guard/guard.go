// Package guard keeps approvals.require_touch from being weakened quietly.
//
// While touch is required, the state it protects (the require_touch level,
// the bytes of config.yaml, the taxonomy, the set of active devices) may
// change only when a person confirms the change with a touch on a YubiKey
// that was enrolled before it. The accepted state is kept in
// state/policy.json; every acceptance is anchored in the audit ledger as a
// policy-confirmed entry naming the file's SHA-256, so deleting or editing
// the file is noticed. The console refuses to start while the state on disk
// differs from the accepted one, and says what changed and what to run.
//
// What counts as weakening: turning require_touch off or lowering it, any
// edit of config.yaml (a policy edit), any change of the taxonomy (a
// changed rule can send a command to a lower-risk action without any
// action's risk changing, so no taxonomy change is assumed safe), and any
// device enrolled or revoked. Turning require_touch on is a strengthening
// and is accepted (and recorded) at start without a touch; it needs an
// enrolled YubiKey.
//
// Limits: the ledger's key and this file live where the owner's user can
// write, so a process running as that user outside the agent's tool calls
// could rewrite both; the hardened install (files the agent's user cannot
// write) is what closes that. Through Ony's own commands and files read at
// start, nothing weakens the policy without a touch.
package guard

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/ony-dev/ony-tui/engine/device"
)

// State is what approvals.require_touch protects.
type State struct {
	RequireTouch string            `json:"require_touch"` // "", "high" or "critical"
	Config       string            `json:"config_sha256"` // "" when there is no config.yaml
	Taxonomy     string            `json:"taxonomy_sha256"`
	Risks        map[string]string `json:"risks"` // action id -> risk, to describe taxonomy changes
	Devices      []Device          `json:"devices"`
}

// Device is an active device as the state records it.
type Device struct {
	ID    string      `json:"id"`
	Kind  device.Kind `json:"kind"`
	KeyID string      `json:"key_id,omitempty"`
}

// Action is a taxonomy action and its risk.
type Action struct{ ID, Risk string }

// Current computes the state from what is on disk: the config file's
// bytes (nil when absent), the level it sets, the loaded taxonomy and the
// registry's devices.
func Current(configBytes []byte, requireTouch, taxonomySHA256 string, actions []Action, devs []device.Device) State {
	s := State{RequireTouch: requireTouch, Taxonomy: taxonomySHA256, Risks: map[string]string{}}
	if configBytes != nil {
		sum := sha256.Sum256(configBytes)
		s.Config = hex.EncodeToString(sum[:])
	}
	for _, a := range actions {
		s.Risks[a.ID] = a.Risk
	}
	for _, d := range devs {
		if d.Active() {
			s.Devices = append(s.Devices, Device{ID: d.ID, Kind: d.Kind, KeyID: d.KeyID})
		}
	}
	sort.Slice(s.Devices, func(i, j int) bool { return s.Devices[i].ID < s.Devices[j].ID })
	return s
}

// On reports whether touch is required in this state.
func (s State) On() bool { return s.RequireTouch != "" }

// YubiKeys lists the state's YubiKey devices.
func (s State) YubiKeys() []Device {
	var out []Device
	for _, d := range s.Devices {
		if d.Kind == device.KindYubiKey {
			out = append(out, d)
		}
	}
	return out
}

func riskRank(r string) int {
	switch r {
	case "low":
		return 1
	case "medium":
		return 2
	case "high":
		return 3
	}
	return 4
}

// Diff describes, in words, every change from old to cur that needs a
// touch while old requires one.
func Diff(old, cur State) []string {
	var out []string
	switch {
	case old.RequireTouch == cur.RequireTouch:
	case cur.RequireTouch == "":
		out = append(out, "approvals.require_touch turned off (was "+old.RequireTouch+")")
	default:
		out = append(out, fmt.Sprintf("approvals.require_touch changed from %s to %s", old.RequireTouch, cur.RequireTouch))
	}
	if old.Config != cur.Config {
		switch {
		case cur.Config == "":
			out = append(out, "config.yaml removed (the policy falls back to the defaults)")
		default:
			out = append(out, "config.yaml edited (the policy may have changed)")
		}
	}
	if old.Taxonomy != cur.Taxonomy {
		out = append(out, "taxonomy changed: "+taxonomyChange(old.Risks, cur.Risks))
	}
	had := map[string]Device{}
	for _, d := range old.Devices {
		had[d.ID] = d
	}
	has := map[string]bool{}
	for _, d := range cur.Devices {
		has[d.ID] = true
		if o, ok := had[d.ID]; !ok {
			out = append(out, fmt.Sprintf("device %s (%s) enrolled", d.ID, d.Kind))
		} else if o.KeyID != d.KeyID {
			out = append(out, fmt.Sprintf("device %s (%s) has another key", d.ID, d.Kind))
		}
	}
	for _, d := range old.Devices {
		if !has[d.ID] {
			out = append(out, fmt.Sprintf("device %s (%s) revoked or removed", d.ID, d.Kind))
		}
	}
	return out
}

func taxonomyChange(old, cur map[string]string) string {
	var lowered, removed []string
	for id, r := range old {
		nr, ok := cur[id]
		switch {
		case !ok:
			removed = append(removed, id)
		case riskRank(nr) < riskRank(r):
			lowered = append(lowered, fmt.Sprintf("%s %s→%s", id, r, nr))
		}
	}
	sort.Strings(lowered)
	sort.Strings(removed)
	var parts []string
	if len(lowered) > 0 {
		parts = append(parts, "lowers "+strings.Join(lowered, ", "))
	}
	if len(removed) > 0 {
		parts = append(parts, "removes "+strings.Join(removed, ", "))
	}
	if len(parts) == 0 {
		return "no action's risk is lowered, but its rules changed and may send a command to a lower-risk action"
	}
	return strings.Join(parts, "; ")
}

// Confirmed is an accepted state, as state/policy.json holds it.
type Confirmed struct {
	Version int       `json:"version"`
	State   State     `json:"state"`
	At      time.Time `json:"at"`
	// Previous is the SHA-256 of the policy.json this one replaced.
	Previous string `json:"previous,omitempty"`
	// Change says what was accepted, in words.
	Change string `json:"change"`
	// By is "engine" for a strengthening accepted at start, or the id of
	// the YubiKey device whose touch confirmed the change.
	By string `json:"by"`
	// Signature is the YubiKey's ECDSA signature (hex) over
	// SigningBytes(Previous, Change); empty when By is "engine".
	Signature string `json:"signature,omitempty"`
}

const fileVersion = 1

// Prefix separates a policy confirmation from anything else Ony signs.
const Prefix = "ony/policy-change/v1\x00"

// SigningBytes are what a touch confirming a change signs: the prefix, the
// hash of the accepted state the change starts from, and the change.
func SigningBytes(previous, change string) []byte {
	b := []byte(Prefix)
	for _, s := range []string{previous, change} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// Store is state/policy.json.
type Store struct{ Path string }

// maxFile bounds policy.json.
const maxFile = 1 << 20

// Load reads the accepted state and the SHA-256 of the file's bytes. A
// missing file is fs.ErrNotExist.
func (s Store) Load() (Confirmed, string, error) {
	f, err := os.OpenFile(s.Path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return Confirmed{}, "", err
	}
	defer f.Close()
	b := make([]byte, 0, 4096)
	buf := bytes.NewBuffer(b)
	if _, err := buf.ReadFrom(&limited{f, maxFile + 1}); err != nil {
		return Confirmed{}, "", fmt.Errorf("reading %s: %w", s.Path, err)
	}
	if buf.Len() > maxFile {
		return Confirmed{}, "", fmt.Errorf("%s is larger than %d bytes", s.Path, maxFile)
	}
	sum := sha256.Sum256(buf.Bytes())
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.DisallowUnknownFields()
	var c Confirmed
	if err := dec.Decode(&c); err != nil {
		return Confirmed{}, "", fmt.Errorf("reading %s: %w", s.Path, err)
	}
	if c.Version != fileVersion {
		return Confirmed{}, "", fmt.Errorf("%s has version %d, this build reads %d", s.Path, c.Version, fileVersion)
	}
	return c, hex.EncodeToString(sum[:]), nil
}

type limited struct {
	f *os.File
	n int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("too large")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.f.Read(p)
	l.n -= int64(n)
	return n, err
}

// Save writes c atomically (0600) and returns the SHA-256 of its bytes.
func (s Store) Save(c Confirmed) (string, error) {
	c.Version = fileVersion
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", err
	}
	b = append(b, '\n')
	dir := filepath.Dir(s.Path)
	tmp, err := os.CreateTemp(dir, ".policy.json.tmp*")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", s.Path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.Write(b)
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), s.Path)
		}
	}
	if err != nil {
		tmp.Close()
		return "", fmt.Errorf("writing %s: %w", s.Path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Anchored is the ledger's newest policy-confirmed entry, as far as the
// guard needs it.
type Anchored struct {
	Found bool
	Hash  string // the SHA-256 of policy.json it names
	On    bool   // whether touch was required in the state it accepted
}

// Detail is the ledger detail of an acceptance: parsed by ParseDetail.
func Detail(hash string, s State, change string) string {
	level := s.RequireTouch
	if level == "" {
		level = "off"
	}
	d := fmt.Sprintf("sha256:%s require_touch=%s; %s", hash, level, change)
	if len(d) > 1000 {
		d = d[:1000]
	}
	return d
}

// ParseDetail reads what Detail wrote.
func ParseDetail(d string) (Anchored, error) {
	f := strings.Fields(d)
	if len(f) < 2 || !strings.HasPrefix(f[0], "sha256:") || !strings.HasPrefix(f[1], "require_touch=") {
		return Anchored{}, fmt.Errorf("policy-confirmed entry detail %q is not Ony's", d)
	}
	level := strings.TrimSuffix(strings.TrimPrefix(f[1], "require_touch="), ";")
	hash := strings.TrimPrefix(f[0], "sha256:")
	if len(hash) != 64 {
		return Anchored{}, fmt.Errorf("policy-confirmed entry names %q, not a sha256", hash)
	}
	return Anchored{Found: true, Hash: hash, On: level != "off"}, nil
}

// ErrChanged says what changed while touch is required.
type ErrChanged struct{ Changes []string }

func (e *ErrChanged) Error() string {
	return "touch is required (approvals.require_touch), and these changes have not been confirmed with a touch:\n  - " +
		strings.Join(e.Changes, "\n  - ") + "\nconfirm them with `ony-tui policy confirm` (touch a YubiKey enrolled before them), or undo them"
}

// Status is where the guard stands.
type Status struct {
	// Confirmed is the accepted state (zero when none was ever recorded).
	Confirmed Confirmed
	Hash      string
	// Pending are the changes made since, each needing a touch.
	Pending []string
	// Accept, when set, is a change the engine may accept without a touch
	// (touch being turned on): Record it.
	Accept string
}

// Evaluate compares the current state with the accepted one. It fails when
// the accepted file is missing or does not match the ledger's anchor.
func Evaluate(store Store, anchor Anchored, cur State) (Status, error) {
	if !anchor.Found {
		if !cur.On() {
			return Status{}, nil
		}
		return Status{Accept: "approvals.require_touch turned on (" + cur.RequireTouch + ")"}, nil
	}
	c, hash, err := store.Load()
	if errors.Is(err, fs.ErrNotExist) {
		return Status{}, fmt.Errorf("the accepted policy %s is missing although the ledger names it: restore it, or confirm the current state with `ony-tui policy confirm`", store.Path)
	}
	if err != nil {
		return Status{}, err
	}
	if hash != anchor.Hash {
		return Status{Confirmed: c, Hash: hash, Pending: []string{store.Path + " was changed outside Ony (it does not match the ledger)"}}, nil
	}
	st := Status{Confirmed: c, Hash: hash}
	switch {
	case !c.State.On() && !cur.On():
	case !c.State.On():
		st.Accept = "approvals.require_touch turned on (" + cur.RequireTouch + ")"
	default:
		st.Pending = Diff(c.State, cur)
	}
	return st, nil
}

// Confirmers are the YubiKeys a change may be confirmed with: those of the
// accepted state that are still active with the same key.
func Confirmers(st Status, devs []device.Device) []device.Device {
	var out []device.Device
	for _, d := range devs {
		if d.Kind != device.KindYubiKey || !d.Active() || d.YubiKey == nil {
			continue
		}
		if st.Confirmed.State.On() && !slices.ContainsFunc(st.Confirmed.State.YubiKeys(), func(c Device) bool { return c.ID == d.ID && c.KeyID == d.KeyID }) {
			continue
		}
		out = append(out, d)
	}
	return out
}

// Accept saves cur as the accepted state and returns the SHA-256 of the
// file, which the caller records in a policy-confirmed entry (Detail).
// previous is the hash of the file it replaces; by and sig name the touch
// that confirmed it ("engine" and "" for a strengthening).
func Accept(store Store, previous string, cur State, change, by, sig string, now time.Time) (string, error) {
	if err := os.MkdirAll(filepath.Dir(store.Path), 0o700); err != nil {
		return "", err
	}
	return store.Save(Confirmed{State: cur, At: now.UTC(), Previous: previous, Change: change, By: by, Signature: sig})
}
