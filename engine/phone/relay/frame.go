package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxFrameSize bounds one frame read from the server. RELAY frames are a
// few hundred bytes; anything near this is not a frame we want.
const MaxFrameSize = 1 << 20

// Frame is one JSON-RPC 2.0 message from the server: a request (Method
// set: a ping, an event) or the answer to one of ours (Result or Error
// set).
type Frame struct {
	ID     string
	Method string
	Params json.RawMessage // a JSON object, or nil
	Result json.RawMessage // a JSON object, or nil
	Error  *RPCError
}

// IsRequest reports whether the server asks something of us.
func (f *Frame) IsRequest() bool { return f.Method != "" }

// RPCError is a JSON-RPC error object. Message has been cleaned of control
// characters and shortened; it is still the server's text.
type RPCError struct {
	Code    int
	Message string
}

// ErrFrame reports a frame that is not valid RELAY JSON-RPC. Its messages
// never quote the frame: frames carry the digits the owner pressed.
var ErrFrame = errors.New("relay frame")

func frameErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFrame, fmt.Sprintf(format, args...))
}

// DecodeFrame parses and checks one frame. It accepts exactly the JSON-RPC
// 2.0 shapes RELAY uses: "jsonrpc" is "2.0", "id" a short printable string,
// and exactly one of "method" (with an optional object "params"),
// "result" (an object) or "error" (an object with an integer code and a
// string message). Keys are matched exactly; unknown keys are ignored.
func DecodeFrame(b []byte) (Frame, error) {
	if len(b) > MaxFrameSize {
		return Frame{}, frameErr("larger than %d bytes", MaxFrameSize)
	}
	top, err := object(b)
	if err != nil {
		return Frame{}, err
	}
	var f Frame
	var v string
	if err := stringField(top, "jsonrpc", &v); err != nil {
		return Frame{}, err
	}
	if v != "2.0" {
		return Frame{}, frameErr(`"jsonrpc" is not "2.0"`)
	}
	if err := stringField(top, "id", &f.ID); err != nil {
		return Frame{}, err
	}
	if !validID(f.ID) {
		return Frame{}, frameErr(`"id" is not 1 to 128 printable characters`)
	}
	_, hasMethod := top["method"]
	_, hasResult := top["result"]
	_, hasError := top["error"]
	n := 0
	for _, h := range []bool{hasMethod, hasResult, hasError} {
		if h {
			n++
		}
	}
	if n != 1 {
		return Frame{}, frameErr(`exactly one of "method", "result" and "error" must be present`)
	}
	switch {
	case hasMethod:
		if err := stringField(top, "method", &f.Method); err != nil {
			return Frame{}, err
		}
		if !validMethod(f.Method) {
			return Frame{}, frameErr(`"method" is not a RELAY method name`)
		}
		if p, ok := top["params"]; ok && !isNull(p) {
			if _, err := object(p); err != nil {
				return Frame{}, frameErr(`"params" is not an object`)
			}
			f.Params = p
		}
	case hasResult:
		if _, err := object(top["result"]); err != nil {
			return Frame{}, frameErr(`"result" is not an object`)
		}
		f.Result = top["result"]
	default:
		e, err := object(top["error"])
		if err != nil {
			return Frame{}, frameErr(`"error" is not an object`)
		}
		var code json.Number
		cb, ok := e["code"]
		if !ok || json.Unmarshal(cb, &code) != nil {
			return Frame{}, frameErr(`"error.code" is not a number`)
		}
		c, err := strconv.Atoi(code.String())
		if err != nil {
			return Frame{}, frameErr(`"error.code" is not an integer`)
		}
		var msg string
		if err := stringField(e, "message", &msg); err != nil {
			return Frame{}, frameErr(`"error.message" is not a string`)
		}
		f.Error = &RPCError{Code: c, Message: cleanText(msg, maxMessage)}
	}
	return f, nil
}

// object decodes a JSON object into its members, refusing anything else
// (and trailing data).
func object(b []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]json.RawMessage
	if err := dec.Decode(&m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, frameErr("not valid JSON (at byte %d)", se.Offset)
		}
		return nil, frameErr("not a JSON object")
	}
	if m == nil {
		return nil, frameErr("not a JSON object")
	}
	if len(bytes.TrimSpace(b[dec.InputOffset():])) != 0 {
		return nil, frameErr("trailing data after the JSON object")
	}
	return m, nil
}

func stringField(m map[string]json.RawMessage, key string, dst *string) error {
	b, ok := m[key]
	if !ok {
		return frameErr("%q is missing", key)
	}
	if len(b) == 0 || b[0] != '"' || json.Unmarshal(b, dst) != nil {
		return frameErr("%q is not a string", key)
	}
	return nil
}

func isNull(b json.RawMessage) bool { return string(bytes.TrimSpace(b)) == "null" }

// validID accepts the ids RELAY uses (UUIDs) and anything short and
// printable: ids are echoed back, never interpreted.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func validMethod(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// maxMessage bounds a server message kept in an error.
const maxMessage = 200

// cleanText makes server text safe to show: control and format characters
// become spaces, and it is cut to max bytes on a rune boundary.
func cleanText(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfffd || (r >= 0x200b && r <= 0x200f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			r = ' '
		}
		if b.Len()+len(string(r)) > max {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}
