package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// ErrVersion reports a message of another protocol version.
var ErrVersion = errors.New("console protocol version mismatch")

// readMsg reads one frame and returns its type and body. The body is then
// decoded strictly with decodeAs.
func readMsg(r io.Reader) (string, []byte, error) {
	body, err := wire.ReadFrame(r, MaxFrame)
	if err != nil {
		return "", nil, err
	}
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return "", nil, fmt.Errorf("decoding message: %w", err)
	}
	if env.V != Version {
		return "", nil, fmt.Errorf("message version %d, want %d: %w", env.V, Version, ErrVersion)
	}
	if env.Type == "" {
		return "", nil, errors.New("decoding message: missing type")
	}
	return env.Type, body, nil
}

// decodeAs decodes body into v strictly (no unknown fields, nothing after
// the object) and checks that v's own version and type are the ones the
// envelope was routed by (with duplicate keys, JSON keeps the last).
func decodeAs(typ string, body []byte, v any, gotV *int, gotType *string) error {
	if err := wire.DecodeStrict(body, v); err != nil {
		return err
	}
	if *gotV != Version || *gotType != typ {
		return fmt.Errorf("decoding message: version or type given twice (%d %q, routed as %q)", *gotV, *gotType, typ)
	}
	return nil
}

// cleanLabel makes a console's label safe to show on every console: no
// control or format characters (which could drive another console's
// terminal), bounded length.
func cleanLabel(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= MaxLabel {
			break
		}
		if unicode.IsGraphic(r) && r != unicode.ReplacementChar {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	if b.Len() == 0 {
		return "a console"
	}
	return b.String()
}
