package codexapp

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeServer writes a shell script that plays `codex app-server`: it reads
// one request per line and answers with the given lines.
func fakeServer(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "codex")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n[ \"$1\" = app-server ] || exit 64\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

const initialize = `read line
echo '{"method":"account/updated","params":{}}'
echo '{"id":1,"result":{"userAgent":"fake"}}'
read line
`

func TestHooksSkipsNotificationsAndServerRequests(t *testing.T) {
	codex := fakeServer(t, initialize+`read line
echo '{"method":"thread/started","params":{"x":1}}'
echo '{"id":"srv-1","method":"item/commandExecution/requestApproval","params":{}}'
echo 'not json'
echo '{"id":2,"result":{"data":[{"cwd":"/w","hooks":[
{"key":"/h/.codex/hooks.json:pre_tool_use:0:0","eventName":"preToolUse","command":"/bin/ony-tui hook codex","sourcePath":"/h/.codex/hooks.json","enabled":true,"currentHash":"sha256:1","trustStatus":"untrusted"},
{"key":"/h/.codex/hooks.json:permission_request:0:0","eventName":"permissionRequest","command":"/bin/ony-tui hook codex","sourcePath":"/h/.codex/hooks.json","enabled":true,"currentHash":"sha256:2","trustStatus":"trusted"}]}]}}' | tr -d '\n'; echo
read line
`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Start(ctx, codex, nil, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hooks, err := c.Hooks(ctx, "/w")
	if err != nil {
		t.Fatal(err)
	}
	if len(hooks) != 2 || hooks[0].Runs() || !hooks[1].Runs() || hooks[0].CurrentHash != "sha256:1" {
		t.Fatalf("%+v", hooks)
	}
}

func TestCallErrorAndExit(t *testing.T) {
	codex := fakeServer(t, initialize+`read line
echo '{"id":2,"error":{"code":-32601,"message":"unknown method hooks/list"}}'
read line
echo 'dying' >&2
exit 3
`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Start(ctx, codex, nil, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Hooks(ctx, "/w"); err == nil || !strings.Contains(err.Error(), "unknown method") {
		t.Fatalf("error response: %v", err)
	}
	if _, err := c.Hooks(ctx, "/w"); err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "dying") {
		t.Fatalf("exit during a call: %v", err)
	}
}

func TestSilentServerTimesOut(t *testing.T) {
	codex := fakeServer(t, "sleep 30\n")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := Start(ctx, codex, nil, t.TempDir()); err == nil {
		t.Fatal("a server that never answers initialize was accepted")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("Start took %s past its context", time.Since(start))
	}
}
