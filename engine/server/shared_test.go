package server

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/enginetest"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/internal/e2e"
)

// hookGroup is a group this test process may give a file: nogroup as
// root, else its own.
func hookGroup() int {
	if os.Getuid() == 0 {
		return 65534
	}
	return os.Getgid()
}

// startShared serves a system install's socket: 0660 with the hook group,
// in a 0710 directory of the engine's user, for the given peers.
func startShared(t *testing.T, peers []int) *setup {
	t.Helper()
	reg, dir := enginetest.Registry(t)
	j := &enginetest.Journal{}
	eng, err := engine.New(engine.Options{Classifier: byCommand{}, Journal: j, Devices: reg, Config: config.Defaults()})
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o710); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(run, -1, hookGroup()); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(run, "ony.sock")
	srv, err := Listen(sock, eng, Options{ReadTimeout: time.Second, Build: "test", Peers: peers, HookGroup: hookGroup()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &setup{eng: eng, srv: srv, reg: reg, j: j, sock: sock}
}

func TestSharedSocketModeAndGroup(t *testing.T) {
	if hookGroup() == 0 {
		t.Skip("this process's group is root's")
	}
	s := startShared(t, nil)
	fi, err := os.Lstat(s.sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o660 || int(fi.Sys().(*syscall.Stat_t).Gid) != hookGroup() {
		t.Fatalf("socket mode %04o group %d, want 0660 group %d", fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Gid, hookGroup())
	}
	// Without Peers, only this uid is served, as for a private socket.
	if v := roundTrip(t, s, newRequest("ls", 1)); v.Decision != "approve" {
		t.Fatalf("%+v", v)
	}
}

func TestSharedSocketRefusesAnOpenDirectory(t *testing.T) {
	_, dir := enginetest.Registry(t)
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o770); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(run, 0o770)
	_, err := Listen(filepath.Join(run, "ony.sock"), nil, Options{HookGroup: hookGroup()})
	if err == nil || !strings.Contains(err.Error(), "others could replace the socket") {
		t.Fatalf("a group-writable socket directory: %v", err)
	}
}

// TestPeersAllowList: the engine of a system install serves the owner's
// uid, which is not its own: a client running as that uid is answered,
// and a client of the engine's own uid (root here) is refused.
func TestPeersAllowList(t *testing.T) {
	e2e.RequireRoot(t)
	if os.Getenv(envAllowedClient) != "" {
		return
	}
	s := startShared(t, []int{65534})
	enginetest.OpenUp(filepath.Dir(s.sock))
	exe := enginetest.RunnableByOthers(t)
	cmd := exec.Command(exe, "-test.run=^TestAllowedClient$")
	cmd.Dir = filepath.Dir(exe)
	cmd.Env = append(os.Environ(), envAllowedClient+"="+s.sock)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "verdict received") {
		t.Fatalf("client as the allowed uid: %v\n%s", err, out)
	}
	c := dial(t, s.sock)
	_ = wire.WriteFrame(c, newRequest("ls", 2))
	if body, err := wire.ReadFrame(c, 0); err == nil {
		t.Fatalf("the engine answered a uid not in its allow list: %s", body)
	}
	probs := s.eng.Snapshot().Problems
	if len(probs) == 0 || !strings.Contains(probs[len(probs)-1].Message, "only uid 65534 may connect") {
		t.Fatalf("refusal not reported: %+v", probs)
	}
}

const envAllowedClient = "ONY_ALLOWED_CLIENT"

// TestAllowedClient is the client of TestPeersAllowList.
func TestAllowedClient(t *testing.T) {
	sock := os.Getenv(envAllowedClient)
	if sock == "" {
		t.Skip("helper process only")
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := wire.WriteFrame(c, newRequest("ls", 9)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		body, err := wire.ReadFrame(c, 0)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if env, _ := wire.DecodeEnvelope(body); env.Type == wire.TypeVerdict {
			fmt.Println("verdict received")
			return
		}
	}
	t.Fatal("no verdict")
}
