package hook_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/enginetest"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/internal/e2e"
)

// rogue is an engine the test controls: it listens on the real socket path
// and answers each request with whatever verdict the case builds. The hook
// must honour only a verdict that is genuine and bound to its own request.
type rogue struct {
	reg    *device.Registry
	signer verdict.Signer
	home   string
}

func newRogue(t *testing.T) *rogue {
	t.Helper()
	home := e2e.NewHome(t, "")
	for _, d := range []string{"state", "run", "state/keys"} {
		_ = os.MkdirAll(filepath.Join(home, d), 0o700)
	}
	reg := device.Open(filepath.Join(home, "state", "devices.json"), filepath.Join(home, "state", "keys"), nil)
	d, err := reg.Ensure(device.KindConsole, "console")
	if err != nil {
		t.Fatal(err)
	}
	s, err := reg.Signer(d.ID)
	if err != nil {
		t.Fatal(err)
	}
	return &rogue{reg: reg, signer: s, home: home}
}

// serve answers every connection with respond(request) until the test ends.
// respond returns the accepted request id and the verdict bytes (nil: send
// nothing and hold the connection).
func (r *rogue) serve(t *testing.T, respond func(req wire.Request) (string, []byte)) {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: e2e.Socket(r.home), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				body, err := wire.ReadFrame(c, 0)
				if err != nil {
					return
				}
				var req wire.Request
				if json.Unmarshal(body, &req) != nil {
					return
				}
				id, v := respond(req)
				_ = wire.WriteFrame(c, wire.Accepted{V: wire.Version, Type: wire.TypeAccepted, RequestID: id})
				if v == nil {
					time.Sleep(30 * time.Second)
					return
				}
				_ = wire.WriteFrame(c, wire.VerdictMsg{V: wire.Version, Type: wire.TypeVerdict, Verdict: v})
			}()
		}
	}()
}

// genuine builds the verdict a real engine would send for req.
func (r *rogue) genuine(req wire.Request, id string, dec verdict.Decision) *verdict.Verdict {
	now := time.Now()
	return &verdict.Verdict{RequestID: id, AgentSessionID: req.Call.SessionID, Action: "file.read", Risk: "low",
		Decision: dec, Reason: "test", IssuedAt: verdict.At(now), ExpiresAt: verdict.At(now.Add(time.Minute)),
		Nonce: req.Nonce, RequestDigest: req.Call.DigestHex(), Factors: []string{"auto"}, LedgerSeq: 1}
}

func (r *rogue) sign(t *testing.T, v *verdict.Verdict, s verdict.Signer) []byte {
	if err := verdict.Sign(v, s); err != nil {
		t.Error(err)
	}
	b, _ := verdict.Marshal(v)
	return b
}

func TestHookRefusesRogueVerdicts(t *testing.T) {
	in := inputs["claude"].read
	var captured []byte // a genuine verdict from an earlier exchange, for replay
	cases := []struct {
		name    string
		want    string
		respond func(t *testing.T, r *rogue, req wire.Request) (string, []byte)
	}{
		{"genuine approve (control)", "allow", func(t *testing.T, r *rogue, req wire.Request) (string, []byte) {
			b := r.sign(t, r.genuine(req, "req_000000000001", verdict.Approve), r.signer)
			captured = b
			return "req_000000000001", b
		}},
		{"forged with another key", "deny", func(t *testing.T, r *rogue, req wire.Request) (string, []byte) {
			key := make([]byte, 32)
			_, _ = rand.Read(key)
			forger, _ := verdict.NewHMACSigner(r.signer.DeviceID(), key)
			return "req_1", r.sign(t, r.genuine(req, "req_1", verdict.Approve), forger)
		}},
		{"signature tampered", "deny", func(t *testing.T, r *rogue, req wire.Request) (string, []byte) {
			v := r.genuine(req, "req_1", verdict.Deny)
			_ = verdict.Sign(v, r.signer)
			v.Decision = verdict.Approve
			b, _ := verdict.Marshal(v)
			return "req_1", b
		}},
		{"verdict for another request", "deny", func(t *testing.T, r *rogue, req wire.Request) (string, []byte) {
			return "req_1", r.sign(t, r.genuine(req, "req_2", verdict.Approve), r.signer)
		}},
		{"replayed verdict", "deny", func(t *testing.T, r *rogue, req wire.Request) (string, []byte) {
			return "req_000000000001", captured
		}},
		{"expired verdict", "deny", func(t *testing.T, r *rogue, req wire.Request) (string, []byte) {
			v := r.genuine(req, "req_1", verdict.Approve)
			v.IssuedAt, v.ExpiresAt = verdict.At(time.Now().Add(-3*time.Minute)), verdict.At(time.Now().Add(-2*time.Minute))
			return "req_1", r.sign(t, v, r.signer)
		}},
		{"different tool call", "deny", func(t *testing.T, r *rogue, req wire.Request) (string, []byte) {
			v := r.genuine(req, "req_1", verdict.Approve)
			v.RequestDigest = strings.Repeat("0", 64)
			return "req_1", r.sign(t, v, r.signer)
		}},
		{"unknown device", "deny", func(t *testing.T, r *rogue, req wire.Request) (string, []byte) {
			key := make([]byte, 32)
			s, _ := verdict.NewHMACSigner("dev_00000000", key)
			return "req_1", r.sign(t, r.genuine(req, "req_1", verdict.Approve), s)
		}},
		{"garbage verdict", "deny", func(t *testing.T, r *rogue, req wire.Request) (string, []byte) {
			return "req_1", []byte(`{"decision":"approve"}`)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRogue(t)
			r.serve(t, func(req wire.Request) (string, []byte) { return c.respond(t, r, req) })
			res := e2e.Hook(t, bin, r.home, "claude", in)
			if d := e2e.Decision(t, "claude", res); d != c.want {
				t.Fatalf("decision %s, want %s\nstdout: %s\nstderr: %s", d, c.want, res.Stdout, res.Stderr)
			}
		})
	}
}

func TestHookRefusesRevokedDevice(t *testing.T) {
	r := newRogue(t)
	r.serve(t, func(req wire.Request) (string, []byte) {
		return "req_1", r.sign(t, r.genuine(req, "req_1", verdict.Approve), r.signer)
	})
	if d := e2e.Decision(t, "claude", e2e.Hook(t, bin, r.home, "claude", inputs["claude"].read)); d != "allow" {
		t.Fatalf("before revocation: %s", d)
	}
	if _, err := r.reg.Revoke(r.signer.DeviceID()); err != nil {
		t.Fatal(err)
	}
	// The rogue still holds the key bytes it loaded; the hook must refuse.
	if d := e2e.Decision(t, "claude", e2e.Hook(t, bin, r.home, "claude", inputs["claude"].read)); d != "deny" {
		t.Fatalf("after revocation: %s", d)
	}
}

func TestHookOwnDeadline(t *testing.T) {
	r := newRogue(t)
	r.serve(t, func(req wire.Request) (string, []byte) { return "req_1", nil }) // never answers
	start := time.Now()
	res := e2e.Hook(t, bin, r.home, "claude", inputs["claude"].read, "--deadline", "2s")
	if d := e2e.Decision(t, "claude", res); d != "deny" || !strings.Contains(res.Stdout, "timed out") {
		t.Fatalf("silent engine: %s", res.Stdout)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("hook waited %s past a 2s deadline", el)
	}
}

// TestHookRefusesServerOfAnotherUser runs a listener as another uid (this
// test binary, re-executed as nobody) and makes its socket look like ours:
// the hook's SO_PEERCRED check must refuse it before sending anything.
func TestHookRefusesServerOfAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a listener as another uid")
	}
	r := newRogue(t)
	run := filepath.Join(r.home, "run")
	enginetest.OpenUp(run)
	_ = os.Chmod(run, 0o777)
	exe := enginetest.RunnableByOthers(t)
	cmd := exec.Command(exe, "-test.run=^TestForeignListener$")
	cmd.Dir = filepath.Dir(exe)
	cmd.Env = []string{envForeign + "=" + e2e.Socket(r.home)}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil && !strings.Contains(out.String(), "ready") {
		time.Sleep(20 * time.Millisecond)
	}
	if ctx.Err() != nil {
		t.Fatalf("foreign listener never started: %s", out.String())
	}
	_ = os.Chown(e2e.Socket(r.home), 0, 0) // the socket file now looks like ours
	_ = os.Chmod(run, 0o700)
	res := e2e.Hook(t, bin, r.home, "claude", inputs["claude"].read)
	if d := e2e.Decision(t, "claude", res); d != "deny" {
		t.Fatalf("server of another uid: %s", d)
	}
	if log := hookLog(t, r.home); !strings.Contains(log, "uid 65534") {
		t.Fatalf("the hook log does not name the other uid: %s", log)
	}
	if strings.Contains(res.Stderr+res.Stdout, "uid") {
		t.Fatalf("uids reached the model: %s %s", res.Stdout, res.Stderr)
	}
	time.Sleep(300 * time.Millisecond)
	if got := out.String(); strings.Contains(got, "GOT ") && !strings.Contains(got, "GOT 0") {
		t.Fatalf("the hook sent its request to another user's server: %s", got)
	}
}

const envForeign = "ONY_TEST_FOREIGN_LISTENER"

// TestForeignListener is the other-uid listener of the test above.
func TestForeignListener(t *testing.T) {
	path := os.Getenv(envForeign)
	if path == "" {
		t.Skip("helper process only")
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 65536)
	n, _ := c.Read(buf)
	fmt.Println("GOT", n)
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
