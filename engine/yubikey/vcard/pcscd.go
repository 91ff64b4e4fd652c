package vcard

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// VPCDConfig is where Debian's vsmartcard-vpcd declares its reader driver.
const VPCDConfig = "/etc/reader.conf.d/vpcd"

// SocketEnv is the variable libpcsclite reads for pcscd's socket.
const SocketEnv = "PCSCLITE_CSOCK_NAME"

// PCSCD is a private pcscd: its own client socket (handed over by socket
// activation, as systemd does) and its own vpcd readers on free ports, so
// tests in several packages can each run one at the same time without
// touching a system pcscd. PC/SC clients reach it when SocketEnv names its
// socket.
type PCSCD struct {
	// Socket is the client socket.
	Socket string
	// Port is the first vpcd reader's TCP port; the second reader listens
	// on Port+1.
	Port int

	dir  string
	cmd  *exec.Cmd
	log  *tailBuffer
	done chan struct{}
	err  error

	ev      sync.Mutex
	events  map[string]int // "inserted 0", "removed 1": reader events pcscd logged
	changed chan struct{}  // closed and replaced on every event
}

// StartPCSCD starts pcscd in the foreground with a reader configuration
// made from VPCDConfig's driver, in dir (which should be short and
// private). It returns once pcscd is ready to take clients. It fails, with
// what to do, when pcscd or vsmartcard-vpcd is missing or pcscd cannot run.
func StartPCSCD(dir string) (*PCSCD, error) {
	p := &PCSCD{dir: dir}
	if err := p.start(); err != nil {
		return nil, err
	}
	return p, nil
}

// Restart starts a stopped pcscd again on the same socket (with new
// reader ports).
func (p *PCSCD) Restart() error {
	p.Stop()
	return p.start()
}

func (p *PCSCD) start() error {
	dir := p.dir
	lib, err := vpcdDriver()
	if err != nil {
		return err
	}
	bin, err := exec.LookPath("pcscd")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/pcscd"); serr != nil {
			return errors.New("pcscd is not installed: apt-get install pcscd (make deps-test)")
		}
		bin = "/usr/sbin/pcscd"
	}
	port, err := freePortPair()
	if err != nil {
		return err
	}
	conf := filepath.Join(dir, "reader.conf.d")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		return err
	}
	cfg := fmt.Sprintf("FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME   /dev/null:0x%X\nLIBPATH      %s\nCHANNELID    0x%X\n", port, lib, port)
	if err := os.WriteFile(filepath.Join(conf, "vpcd"), []byte(cfg), 0o644); err != nil {
		return err
	}
	sock := filepath.Join(dir, "pcscd.comm")
	_ = os.Remove(sock)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return fmt.Errorf("pcscd socket: %w", err)
	}
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(sock, 0o666); err != nil {
		ln.Close()
		return err
	}
	f, err := ln.File()
	ln.Close() // the duplicate in f is what pcscd gets
	if err != nil {
		return err
	}
	defer f.Close()
	// Socket activation: the listening socket is fd 3 and LISTEN_PID must
	// be pcscd's own pid, which only the shell that execs it knows.
	p.Socket, p.Port, p.log, p.done, p.err = sock, port, &tailBuffer{max: 64 << 10, line: p.onLine}, make(chan struct{}), nil
	p.ev.Lock()
	p.events, p.changed = map[string]int{}, make(chan struct{})
	p.ev.Unlock()
	p.cmd = exec.Command("/bin/sh", "-c", `LISTEN_PID=$$; LISTEN_FDS=1; export LISTEN_PID LISTEN_FDS; exec "$0" --foreground --info --config "$1"`, bin, conf)
	p.cmd.ExtraFiles = []*os.File{f}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("starting pcscd: %w", err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	deadline := time.After(10 * time.Second)
	for !strings.Contains(p.log.String(), "daemon ready") {
		select {
		case <-p.done:
			return fmt.Errorf("pcscd exited at start (%v); it needs root or a writable /run/pcscd. Its log:\n%s", p.err, p.log)
		case <-deadline:
			p.Stop()
			return fmt.Errorf("pcscd did not get ready in 10s. Its log:\n%s", p.log)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// onLine counts the card events pcscd logs at --info level.
func (p *PCSCD) onLine(line string) {
	var ev string
	switch {
	case strings.Contains(line, "Card inserted into Virtual PCD 00 "):
		ev = "inserted "
	case strings.Contains(line, "Card Removed From Virtual PCD 00 "):
		ev = "removed "
	default:
		return
	}
	i := strings.LastIndex(line, "Virtual PCD 00 ")
	ev += strings.TrimLeft(strings.TrimSpace(line[i+len("Virtual PCD 00 "):]), "0")
	p.ev.Lock()
	p.events[ev]++
	close(p.changed)
	p.changed = make(chan struct{})
	p.ev.Unlock()
}

func eventKey(kind string, reader int) string {
	if reader == 0 {
		return kind + " "
	}
	return fmt.Sprintf("%s %d", kind, reader)
}

// count returns how often pcscd logged an event, and a channel closed at
// the next event.
func (p *PCSCD) count(kind string, reader int) (int, <-chan struct{}) {
	p.ev.Lock()
	defer p.ev.Unlock()
	return p.events[eventKey(kind, reader)], p.changed
}

// waitEvent waits until pcscd has logged the event more than n times.
func (p *PCSCD) waitEvent(ctx context.Context, kind string, reader, n int) error {
	for {
		got, changed := p.count(kind, reader)
		if got > n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("pcscd never reported the card %s in reader %d: %w", kind, reader, ctx.Err())
		}
	}
}

// Insert puts the card into reader i and returns once pcscd has seen it
// (powered it and read its ATR), so PC/SC clients find it.
func (p *PCSCD) Insert(ctx context.Context, c *Card, reader int) (*Inserted, error) {
	n, _ := p.count("inserted", reader)
	rn, _ := p.count("removed", reader)
	in, err := c.Insert(ctx, p.ReaderAddr(reader))
	if err != nil {
		return nil, err
	}
	if err := p.waitEvent(ctx, "inserted", reader, n); err != nil {
		in.Remove()
		return nil, err
	}
	done := p.done // this pcscd; a restarted one never saw the card
	in.removed = func() {
		wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		go func() {
			select {
			case <-done:
				cancel()
			case <-wctx.Done():
			}
		}()
		_ = p.waitEvent(wctx, "removed", reader, rn)
	}
	return in, nil
}

// ReaderAddr is where the i-th vpcd reader (0 or 1) waits for a card.
func (p *PCSCD) ReaderAddr(i int) string { return fmt.Sprintf("127.0.0.1:%d", p.Port+i) }

// Env is the environment entry that points PC/SC clients at this pcscd.
func (p *PCSCD) Env() string { return SocketEnv + "=" + p.Socket }

// Log is the tail of pcscd's output.
func (p *PCSCD) Log() string { return p.log.String() }

// Stop ends pcscd and removes its socket; clients then find no PC/SC
// service. It is safe to call more than once.
func (p *PCSCD) Stop() {
	if p.cmd == nil || p.done == nil {
		return
	}
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	_ = os.Remove(p.Socket)
}

// vpcdDriver reads the driver path from Debian's vpcd reader config.
func vpcdDriver() (string, error) {
	b, err := os.ReadFile(VPCDConfig)
	if err != nil {
		return "", fmt.Errorf("vsmartcard-vpcd is not installed (%v): apt-get install vsmartcard-vpcd (make deps-test)", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "LIBPATH" {
			if _, err := os.Stat(f[1]); err != nil {
				return "", fmt.Errorf("%s names %s, which is missing: reinstall vsmartcard-vpcd", VPCDConfig, f[1])
			}
			return f[1], nil
		}
	}
	return "", fmt.Errorf("%s has no LIBPATH line", VPCDConfig)
}

// freePortPair finds a port p with p and p+1 free on every interface (vpcd
// binds the wildcard address).
func freePortPair() (int, error) {
	for i := 0; i < 50; i++ {
		l, err := net.Listen("tcp4", "0.0.0.0:0")
		if err != nil {
			return 0, err
		}
		p := l.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", p+1))
		l.Close()
		if err != nil || p+1 > 0xffff {
			continue
		}
		l2.Close()
		return p, nil
	}
	return 0, errors.New("no two consecutive free TCP ports for the vpcd readers")
}

// tailBuffer keeps the last max bytes written to it, and passes each
// complete line to line.
type tailBuffer struct {
	mu      sync.Mutex
	b       []byte
	max     int
	partial []byte
	line    func(string)
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.line != nil {
		t.partial = append(t.partial, p...)
		for {
			i := bytes.IndexByte(t.partial, '\n')
			if i < 0 {
				break
			}
			t.line(string(t.partial[:i]))
			t.partial = t.partial[i+1:]
		}
		if len(t.partial) > 4096 {
			t.partial = nil
		}
	}
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append([]byte(nil), t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
