package hook_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/internal/e2e"
)

// TestHookThroughSSHForwardedSocket follows the README's jump-host recipe
// with a real sshd on loopback: the console runs on home A; `ssh -R`
// (run on A) makes sshd listen on the agent's socket path in home B and
// forward to A's socket; the hook on B, with A's device keys copied, gets
// its verdicts through the tunnel and verifies them.
func TestHookThroughSSHForwardedSocket(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run sshd for a login on this machine")
	}
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/sshd"); serr != nil {
			t.Fatal("sshd is missing: apt-get install openssh-server (make deps-test)")
		}
		sshd = "/usr/sbin/sshd"
	}
	dir := e2e.NewHome(t, "")
	for _, k := range []string{"host", "client"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, _ := os.ReadFile(filepath.Join(dir, "client.pub"))
	_ = os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := filepath.Join(dir, "sshd_config")
	_ = os.WriteFile(conf, []byte(fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PidFile %s
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AllowStreamLocalForwarding yes
StreamLocalBindUnlink yes
StreamLocalBindMask 0177
`, port, filepath.Join(dir, "host"), filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "sshd.pid"))), 0o600)
	_ = os.MkdirAll("/run/sshd", 0o755) // sshd's privilege separation directory
	var sshdLog bytes.Buffer
	d := exec.Command(sshd, "-D", "-e", "-f", conf)
	d.Stderr = &sshdLog
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Process.Kill(); _ = d.Wait() })

	// A: the console. B: the agent's machine, with A's device keys copied.
	a := e2e.NewHome(t, "")
	e2e.Serve(t, bin, a)
	b := e2e.NewHome(t, "")
	for _, sub := range []string{"run", "state", "state/keys"} {
		_ = os.MkdirAll(filepath.Join(b, sub), 0o700)
	}
	copyFile(t, filepath.Join(a, "state", "devices.json"), filepath.Join(b, "state", "devices.json"))
	// Only the device keys (dev_*.key), as the README says: not the
	// ledger's audit and checkpoint keys, not phone.json.
	keys, _ := filepath.Glob(filepath.Join(a, "state", "keys", "dev_*.key"))
	if len(keys) == 0 {
		t.Fatal("A has no device keys to copy")
	}
	for _, k := range keys {
		copyFile(t, k, filepath.Join(b, "state", "keys", filepath.Base(k)))
	}

	var sshLog bytes.Buffer
	tunnel := exec.Command("ssh", "-N", "-p", fmt.Sprint(port), "-i", filepath.Join(dir, "client"),
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ExitOnForwardFailure=yes",
		"-o", "BatchMode=yes", "-R", e2e.Socket(b)+":"+e2e.Socket(a), "root@127.0.0.1")
	tunnel.Stderr = &sshLog
	if err := tunnel.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tunnel.Process.Kill(); _ = tunnel.Wait() })
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := os.Stat(e2e.Socket(b)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the forwarded socket never appeared\nssh: %s\nsshd: %s", sshLog.String(), sshdLog.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d := e2e.Decision(t, "claude", e2e.Hook(t, bin, b, "claude", inputs["claude"].read)); d != "allow" {
		t.Fatalf("low-risk call through the tunnel: %s", d)
	}
	r := e2e.Hook(t, bin, b, "claude", inputs["claude"].unknown)
	if e2e.Decision(t, "claude", r) != "deny" || !strings.Contains(r.Stdout, "enroll totp") {
		t.Fatalf("unknown call through the tunnel: %+v", r)
	}
	// Without A's keys, B cannot verify A's verdicts: deny.
	_ = os.RemoveAll(filepath.Join(b, "state", "keys"))
	if d := e2e.Decision(t, "claude", e2e.Hook(t, bin, b, "claude", inputs["claude"].read)); d != "deny" {
		t.Fatalf("verdict honoured without the device keys: %s", d)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
