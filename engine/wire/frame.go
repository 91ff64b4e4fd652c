// Package wire is the protocol between the hook and the engine: framed JSON
// messages over a Unix stream socket.
//
// Each frame is a 4-byte big-endian length followed by that many bytes of
// JSON. Frames longer than MaxFrame are refused before they are read. Every
// message carries the protocol version V and a Type.
package wire

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Version is the protocol version this build speaks.
const Version = 1

// MaxFrame is the largest frame either side accepts (1 MiB).
const MaxFrame = 1 << 20

// ErrFrameTooLarge reports a frame over MaxFrame.
var ErrFrameTooLarge = errors.New("frame too large")

// WriteFrame writes one frame holding the JSON encoding of v.
func WriteFrame(w io.Writer, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding frame: %w", err)
	}
	if len(body) > MaxFrame {
		return fmt.Errorf("writing frame of %d bytes: %w (limit %d)", len(body), ErrFrameTooLarge, MaxFrame)
	}
	buf := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(buf, uint32(len(body)))
	copy(buf[4:], body)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("writing frame: %w", err)
	}
	return nil
}

// ReadFrame reads one frame and returns its body. It refuses a frame larger
// than limit (or MaxFrame if limit is 0 or larger) without reading it.
func ReadFrame(r io.Reader, limit int) ([]byte, error) {
	if limit <= 0 || limit > MaxFrame {
		limit = MaxFrame
	}
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("reading frame header: %w", err)
		}
		return nil, err // io.EOF: clean end of stream
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if uint64(n) > uint64(limit) {
		return nil, fmt.Errorf("reading frame of %d bytes: %w (limit %d)", n, ErrFrameTooLarge, limit)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("reading frame body: %w", err)
	}
	return body, nil
}

// verdictHead opens a verdict message; the verdict JSON and "}" follow.
const verdictHead = `{"v":1,"type":"verdict","verdict":`

// WriteVerdictFrame writes a verdict message embedding raw as is. raw must
// be a verdict as verdict.Marshal encodes it; it is not re-encoded (a hook
// refuses anything that does not parse and verify).
func WriteVerdictFrame(w io.Writer, raw []byte) error {
	n := len(verdictHead) + len(raw) + 1
	if n > MaxFrame {
		return fmt.Errorf("writing verdict frame of %d bytes: %w (limit %d)", n, ErrFrameTooLarge, MaxFrame)
	}
	buf := make([]byte, 4, 4+n)
	binary.BigEndian.PutUint32(buf, uint32(n))
	buf = append(buf, verdictHead...)
	buf = append(buf, raw...)
	buf = append(buf, '}')
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("writing frame: %w", err)
	}
	return nil
}
