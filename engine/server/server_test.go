package server

import (
	"context"
	"encoding/binary"
	"errors"
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

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/enginetest"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/ledger"
)

type byCommand struct{}

func (byCommand) Classify(c *wire.ToolCall, _ engine.Host) engine.Classification {
	if c.Command == "panic" {
		panic("classifier bug")
	}
	if strings.HasPrefix(c.Command, "ls") {
		return engine.Classification{Action: "fs.list", Risk: risk.Low}
	}
	return engine.Classification{Action: "git.push.force", Risk: risk.High}
}

type setup struct {
	eng  *engine.Engine
	srv  *Server
	reg  *device.Registry
	j    *enginetest.Journal
	sock string
}

func start(t testing.TB) *setup {
	t.Helper()
	return startWith(t, Options{ReadTimeout: time.Second, Build: "test"})
}

func startWith(t testing.TB, o Options) *setup {
	t.Helper()
	reg, dir := enginetest.Registry(t)
	j := &enginetest.Journal{}
	eng, err := engine.New(engine.Options{Classifier: byCommand{}, Journal: j, Devices: reg, Config: config.Defaults()})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "run", "ony.sock")
	srv, err := Listen(sock, eng, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &setup{eng: eng, srv: srv, reg: reg, j: j, sock: sock}
}

func dial(t *testing.T, sock string) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

func read(t *testing.T, c net.Conn) (wire.Envelope, []byte) {
	t.Helper()
	body, err := wire.ReadFrame(c, 0)
	if err != nil {
		t.Fatalf("reading frame: %v", err)
	}
	env, err := wire.DecodeEnvelope(body)
	if err != nil {
		t.Fatal(err)
	}
	return env, body
}

func newRequest(cmd string, nonce byte) wire.Request {
	return wire.Request{V: wire.Version, Type: wire.TypeRequest, Nonce: strings.Repeat(fmt.Sprintf("%02x", nonce), 16),
		Call: wire.ToolCall{Harness: "claude", Event: "PreToolUse", ToolName: "Bash", Kind: wire.KindShell,
			Command: cmd, InputDigest: strings.Repeat("ab", 32)}}
}

// roundTrip sends a request and returns the verified verdict.
func roundTrip(t *testing.T, s *setup, req wire.Request) *verdict.Verdict {
	t.Helper()
	c := dial(t, s.sock)
	if err := wire.WriteFrame(c, req); err != nil {
		t.Fatal(err)
	}
	env, body := read(t, c)
	if env.Type != wire.TypeAccepted {
		t.Fatalf("got %s: %s", env.Type, body)
	}
	var acc wire.Accepted
	_ = wire.DecodeStrict(body, &acc)
	env, body = read(t, c)
	if env.Type != wire.TypeVerdict {
		t.Fatalf("got %s: %s", env.Type, body)
	}
	var vm wire.VerdictMsg
	_ = wire.DecodeStrict(body, &vm)
	v, err := verdict.Parse(vm.Verdict)
	if err != nil {
		t.Fatal(err)
	}
	if err := verdict.Verify(v, s.reg.Keyring(), verdict.Expect{RequestID: acc.RequestID, Nonce: req.Nonce, RequestDigest: req.Call.DigestHex()}); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPing(t *testing.T) {
	s := start(t)
	c := dial(t, s.sock)
	_ = wire.WriteFrame(c, wire.Ping{V: wire.Version, Type: wire.TypePing})
	env, body := read(t, c)
	if env.Type != wire.TypePong || !strings.Contains(string(body), `"build":"test"`) {
		t.Fatalf("pong: %s", body)
	}
}

func TestAutoAllowOverSocket(t *testing.T) {
	s := start(t)
	if v := roundTrip(t, s, newRequest("ls", 1)); v.Decision != verdict.Approve {
		t.Fatalf("verdict %+v", v)
	}
	fi, err := os.Stat(s.sock)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v %v", fi.Mode(), err)
	}
	dfi, _ := os.Stat(filepath.Dir(s.sock))
	if dfi.Mode().Perm() != 0o700 {
		t.Fatalf("socket dir mode %v", dfi.Mode())
	}
}

// TestManyConcurrentClientsGetTheirOwnVerdict runs parallel hooks; each must
// verify its verdict against its own nonce and digest (roundTrip checks).
func TestManyConcurrentClientsGetTheirOwnVerdict(t *testing.T) {
	s := start(t)
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			v := roundTrip(t, s, newRequest(fmt.Sprintf("ls %d", i), byte(i)))
			if v.Decision != verdict.Approve {
				t.Errorf("client %d: %+v", i, v)
			}
		}(i)
	}
	wg.Wait()
}

func TestBadInputGetsErrorNotVerdict(t *testing.T) {
	s := start(t)
	cases := map[string][]byte{
		"not json":         []byte("hello"),
		"wrong version":    []byte(`{"v":99,"type":"request"}`),
		"unknown type":     []byte(`{"v":1,"type":"approve_all"}`),
		"unknown field":    []byte(`{"v":1,"type":"request","nonce":"` + strings.Repeat("a", 32) + `","call":{},"allow":true}`),
		"invalid request":  []byte(`{"v":1,"type":"request","nonce":"x","call":{}}`),
		"type given twice": []byte(`{"v":1,"type":"request","nonce":"` + strings.Repeat("a", 32) + `","call":{},"type":"ping"}`),
		"ping with extras": []byte(`{"v":1,"type":"ping","nonce":"x"}`),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			c := dial(t, s.sock)
			hdr := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
			_, _ = c.Write(append(hdr, body...))
			env, msg := read(t, c)
			if env.Type != wire.TypeError {
				t.Fatalf("got %s: %s", env.Type, msg)
			}
		})
	}
}

func TestOversizedFrameRefusedUnread(t *testing.T) {
	s := start(t)
	c := dial(t, s.sock)
	hdr := binary.BigEndian.AppendUint32(nil, wire.MaxFrame+1)
	_, _ = c.Write(hdr)
	env, body := read(t, c)
	if env.Type != wire.TypeError || !strings.Contains(string(body), "too large") {
		t.Fatalf("got %s: %s", env.Type, body)
	}
}

func TestSlowClientTimesOut(t *testing.T) {
	s := start(t)
	c := dial(t, s.sock)
	_, _ = c.Write([]byte{0, 0}) // half a header, then nothing
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	body, err := wire.ReadFrame(c, 0)
	if err != nil {
		return // closed without an answer: fine
	}
	if env, _ := wire.DecodeEnvelope(body); env.Type != wire.TypeError {
		t.Fatalf("half-sent frame got %s: %s", env.Type, body)
	}
}

func TestHookGoneWhileWaitingIsDeniedAndRecorded(t *testing.T) {
	s := start(t)
	c := dial(t, s.sock)
	_ = wire.WriteFrame(c, newRequest("git push --force", 7))
	if env, _ := read(t, c); env.Type != wire.TypeAccepted {
		t.Fatalf("got %s", env.Type)
	}
	c.Close()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		recs := s.j.Records()
		if last := recs[len(recs)-1]; last.Kind == ledger.KindVerdict {
			if last.Decision != "deny" || last.Detail != engine.ReasonHookGone {
				t.Fatalf("recorded %+v", last)
			}
			if n := len(s.eng.Snapshot().Pending); n != 0 {
				t.Fatalf("%d still pending", n)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("abandoned request never denied")
}

func TestSecondInstanceRefused(t *testing.T) {
	dir := t.TempDir()
	l, err := AcquireLock(filepath.Join(dir, "engine.lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	_, err = AcquireLock(filepath.Join(dir, "engine.lock"))
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Fatalf("second lock: %v", err)
	}
	l.Release()
	l2, err := AcquireLock(filepath.Join(dir, "engine.lock"))
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l2.Release()
}

func TestRefusesHostileSocketPaths(t *testing.T) {
	reg, dir := enginetest.Registry(t)
	eng, _ := engine.New(engine.Options{Classifier: byCommand{}, Journal: &enginetest.Journal{}, Devices: reg, Config: config.Defaults()})
	run := filepath.Join(dir, "run")
	_ = os.MkdirAll(run, 0o700)
	sock := filepath.Join(run, "ony.sock")
	_ = os.Symlink(filepath.Join(dir, "elsewhere"), sock)
	if _, err := Listen(sock, eng, Options{}); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("symlink: %v", err)
	}
	_ = os.Remove(sock)
	_ = os.WriteFile(sock, []byte("x"), 0o600)
	if _, err := Listen(sock, eng, Options{}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("regular file: %v", err)
	}
	_ = os.Remove(sock)
	_ = os.Chmod(run, 0o755)
	if _, err := Listen(sock, eng, Options{}); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Fatalf("open dir: %v", err)
	}
	_ = os.Chmod(run, 0o700)
	srv, err := Listen(sock, eng, Options{})
	if err != nil {
		t.Fatalf("clean path: %v", err)
	}
	srv.Close()
}

// TestOtherUserRefused connects from a real process running as another uid.
// The directory is opened up for the test so that only the SO_PEERCRED check
// stands between that process and the engine.
func TestOtherUserRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another uid")
	}
	if os.Getenv("ONY_PEER_CLIENT") != "" {
		return
	}
	s := start(t)
	enginetest.OpenUp(s.sock)
	_ = os.Chmod(s.sock, 0o666)
	bin := enginetest.RunnableByOthers(t)
	cmd := exec.Command(bin, "-test.run=^TestPeerClient$")
	cmd.Dir = filepath.Dir(bin)
	cmd.Env = append(os.Environ(), "ONY_PEER_CLIENT="+s.sock)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("client as nobody: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "refused") {
		t.Fatalf("client output: %s", out)
	}
	probs := s.eng.Snapshot().Problems
	if len(probs) == 0 || !strings.Contains(probs[len(probs)-1].Message, "uid 65534") {
		t.Fatalf("refusal not reported: %+v", probs)
	}
	if len(s.j.Records()) != 0 {
		t.Fatal("a request from another uid reached the engine")
	}
}

// TestPeerClient is the other-uid client of TestOtherUserRefused.
func TestPeerClient(t *testing.T) {
	sock := os.Getenv("ONY_PEER_CLIENT")
	if sock == "" {
		t.Skip("helper process only")
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	_ = wire.WriteFrame(c, newRequest("ls", 9))
	if _, err := wire.ReadFrame(c, 0); err != nil {
		fmt.Println("refused:", err)
		return
	}
	t.Fatal("the engine answered a client of another uid")
}

// TestPanicClosesOnlyThatConnection: a bug while handling one request
// closes that connection without a verdict, shows the problem, and the
// engine goes on serving.
func TestPanicClosesOnlyThatConnection(t *testing.T) {
	s := start(t)
	c := dial(t, s.sock)
	_ = wire.WriteFrame(c, newRequest("panic", 3))
	if body, err := wire.ReadFrame(c, 0); err == nil {
		if env, _ := wire.DecodeEnvelope(body); env.Type == wire.TypeVerdict {
			t.Fatalf("a panicking request got a verdict: %s", body)
		}
	}
	probs := s.eng.Snapshot().Problems
	if len(probs) == 0 || !strings.Contains(probs[len(probs)-1].Message, "classifier bug") {
		t.Fatalf("problem not shown: %+v", probs)
	}
	if v := roundTrip(t, s, newRequest("ls", 4)); v.Decision != verdict.Approve {
		t.Fatalf("after a panic: %+v", v)
	}
}
