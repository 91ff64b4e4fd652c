package vcard

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// The vpcd wire protocol (vsmartcard's vpcd.c): the card connects to the
// reader driver inside pcscd over TCP. Every message in either direction is
// a 2-byte big-endian length and a payload. A 1-byte payload from the
// reader is a control code: 0 power off, 1 power on, 2 reset (none gets a
// reply), 4 asks for the ATR. Longer payloads are command APDUs, answered
// with the response APDU.
const (
	ctlPowerOff = 0x00
	ctlPowerOn  = 0x01
	ctlReset    = 0x02
	ctlATR      = 0x04
)

// Inserted is a card sitting in a vpcd reader.
type Inserted struct {
	card *Card
	conn net.Conn
	gone chan struct{} // closed by Remove
	done chan struct{} // closed when the serving loop ends
	once sync.Once
	// removed, when set, waits until pcscd has seen the card go.
	removed func()
}

// Insert connects the card to the vpcd reader listening at addr
// ("127.0.0.1:35963" for the first reader of Debian's vpcd config),
// retrying until ctx ends, and returns once pcscd has powered the card and
// read its ATR: from then on PC/SC clients see it.
func (c *Card) Insert(ctx context.Context, addr string) (*Inserted, error) {
	var conn net.Conn
	var err error
	var d net.Dialer
	for {
		conn, err = d.DialContext(ctx, "tcp", addr)
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("vcard: no vpcd reader at %s (is pcscd running with vsmartcard-vpcd?): %w", addr, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	in := &Inserted{card: c, conn: conn, gone: make(chan struct{}), done: make(chan struct{})}
	ready := make(chan struct{})
	go in.serve(ready)
	select {
	case <-ready:
		return in, nil
	case <-in.done:
		return nil, fmt.Errorf("vcard: the reader at %s closed the connection before reading the ATR", addr)
	case <-ctx.Done():
		in.Remove()
		return nil, fmt.Errorf("vcard: pcscd never read the card's ATR at %s: %w", addr, ctx.Err())
	}
}

// Remove pulls the card out of the reader. A command in progress (a
// signature waiting for a touch) fails. For a card inserted with
// PCSCD.Insert it returns once pcscd has seen the card go: PC/SC clients
// talking to a reader whose card just left, before pcscd notices, can
// wedge the reader (piv-go leaks an exclusive handle when its SELECT
// fails).
func (in *Inserted) Remove() {
	first := false
	in.once.Do(func() {
		first = true
		close(in.gone)
		in.conn.Close()
	})
	<-in.done
	if first && in.removed != nil {
		in.removed()
	}
}

// Done is closed once the card is out of the reader (pulled, or the
// reader went away).
func (in *Inserted) Done() <-chan struct{} { return in.done }

func (in *Inserted) serve(ready chan struct{}) {
	defer close(in.done)
	defer in.conn.Close()
	c := in.card
	announced := false
	for {
		quickAck(in.conn)
		msg, err := readMsg(in.conn)
		if err != nil {
			c.mu.Lock()
			c.resetSession()
			c.mu.Unlock()
			return
		}
		if len(msg) == 1 {
			switch msg[0] {
			case ctlPowerOff, ctlPowerOn, ctlReset:
				c.mu.Lock()
				c.resetSession()
				c.mu.Unlock()
			case ctlATR:
				if err := writeMsg(in.conn, ATR); err != nil {
					return
				}
				if !announced {
					announced = true
					close(ready)
				}
			}
			continue
		}
		resp := c.handle(msg, in.gone)
		select {
		case <-in.gone:
			// Pulled while the command ran (a signature waiting for a
			// touch): a card that is out of the reader answers nothing.
			return
		default:
		}
		if err := writeMsg(in.conn, resp); err != nil {
			return
		}
	}
}

// quickAck turns off delayed acknowledgements for the next reads. vpcd
// sends a message's length and its bytes in two writes with Nagle's
// algorithm on, so the second waits for our ACK of the first: without
// this, every APDU would stall for the 40 ms of a delayed ACK. Linux
// resets the option as it goes, hence before every read.
func quickAck(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	if raw, err := tc.SyscallConn(); err == nil {
		_ = raw.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
		})
	}
}

func readMsg(r io.Reader) ([]byte, error) {
	var n [2]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	l := binary.BigEndian.Uint16(n[:])
	if l == 0 {
		return nil, errors.New("vcard: empty vpcd message")
	}
	b := make([]byte, l)
	_, err := io.ReadFull(r, b)
	return b, err
}

func writeMsg(w io.Writer, b []byte) error {
	out := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(b)), uint16(len(b)))
	_, err := w.Write(append(out, b...))
	return err
}
