package ledger

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// OriginPrefix starts the origin line of every checkpoint; the ledger's
// random id follows it (docs/LEDGER-FORMAT.md §6).
const OriginPrefix = "ony.dev/ledger/"

// Errors from [OpenCheckpoint].
var (
	// ErrCheckpointSignature means a checkpoint's signature by the expected
	// key does not verify: its text was altered, or the signature forged.
	ErrCheckpointSignature = errors.New("ledger: checkpoint signature does not verify")
	// ErrCheckpointUnknownKey means a checkpoint carries no signature by the
	// expected verifier key.
	ErrCheckpointUnknownKey = errors.New("ledger: checkpoint is not signed by the verifier key")
	// ErrCheckpointFormat means a checkpoint is not a well-formed signed
	// note in tlog-checkpoint form.
	ErrCheckpointFormat = errors.New("ledger: malformed checkpoint")
)

// Checkpoint anchors a ledger's size and head outside the database. It is
// written as a C2SP tlog-checkpoint body
//
//	<origin>
//	<size in decimal>
//	<base64 of the head hash>
//
// inside a C2SP signed note, signed by the console's Ed25519 checkpoint key
// (docs/LEDGER-FORMAT.md §6). Size is the number of entries, which is also
// the seq of the head entry; an empty ledger's checkpoint has size 0 and a
// zero head.
type Checkpoint struct {
	Origin string `json:"origin"`
	Size   uint64 `json:"size"`
	Head   Hash   `json:"head"`
}

// Text returns the checkpoint body that is signed.
func (c Checkpoint) Text() string {
	return c.Origin + "\n" + strconv.FormatUint(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Head[:]) + "\n"
}

// ParseCheckpointText parses a checkpoint body. It does not check any
// signature: use [OpenCheckpoint] for signed notes.
func ParseCheckpointText(text string) (Checkpoint, error) {
	var c Checkpoint
	lines := strings.Split(text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		return c, fmt.Errorf("%w: want 3 lines (origin, size, head), found %d", ErrCheckpointFormat, len(lines)-1)
	}
	if !strings.HasPrefix(lines[0], OriginPrefix) || strings.ContainsAny(lines[0], " \t") {
		return c, fmt.Errorf("%w: origin %q does not start with %q", ErrCheckpointFormat, lines[0], OriginPrefix)
	}
	c.Origin = lines[0]
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return c, fmt.Errorf("%w: size %q is not a decimal number", ErrCheckpointFormat, lines[1])
	}
	c.Size = size
	head, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(head) != HashSize {
		return c, fmt.Errorf("%w: head is not the base64 of %d bytes", ErrCheckpointFormat, HashSize)
	}
	copy(c.Head[:], head)
	return c, nil
}

// SignCheckpoint returns c as a signed note.
func SignCheckpoint(c Checkpoint, s note.Signer) ([]byte, error) {
	msg, err := note.Sign(&note.Note{Text: c.Text()}, s)
	if err != nil {
		return nil, fmt.Errorf("signing checkpoint: %w", err)
	}
	return msg, nil
}

// OpenCheckpoint verifies a signed checkpoint note with v and parses it. A
// signature by v that does not verify yields [ErrCheckpointSignature]; no
// signature by v yields [ErrCheckpointUnknownKey]. Signatures by other keys
// (witness cosignatures) are ignored, as the signed-note spec requires.
func OpenCheckpoint(msg []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var inv *note.InvalidSignatureError
		var unv *note.UnverifiedNoteError
		switch {
		case errors.As(err, &inv):
			return Checkpoint{}, ErrCheckpointSignature
		case errors.As(err, &unv):
			return Checkpoint{}, fmt.Errorf("%w (signed by %s)", ErrCheckpointUnknownKey, signerNames(unv.Note))
		}
		return Checkpoint{}, fmt.Errorf("%w: %v", ErrCheckpointFormat, err)
	}
	return ParseCheckpointText(n.Text)
}

func signerNames(n *note.Note) string {
	if n == nil || len(n.UnverifiedSigs) == 0 {
		return "nobody"
	}
	names := make([]string, 0, len(n.UnverifiedSigs))
	for _, s := range n.UnverifiedSigs {
		names = append(names, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
	}
	return strings.Join(names, ", ")
}

// claimedSize returns the size a checkpoint note claims, without checking
// its signature; 0 if it cannot be read.
func claimedSize(msg []byte) uint64 {
	text, _, ok := strings.Cut(string(msg), "\n\n")
	if !ok {
		return 0
	}
	c, err := ParseCheckpointText(text + "\n")
	if err != nil {
		return 0
	}
	return c.Size
}
