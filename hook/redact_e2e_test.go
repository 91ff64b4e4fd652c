package hook_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/internal/app"
	"github.com/ony-dev/ony-tui/internal/e2e"
	"github.com/ony-dev/ony-tui/ledger"
)

// TestSecretsStayOutEndToEnd runs the real binary as harnesses would: calls
// carrying secrets go through `ony-tui hook` to `ony-tui serve`, then the
// ledger is read back with `ony-tui log` (both forms) and the same commands
// are explained with `ony-tui explain`. No secret may appear in any of it,
// nor in what the hook tells the agent. The targets are still there, masked.
func TestSecretsStayOutEndToEnd(t *testing.T) {
	const gh = "ghp_R8xQ2mVb7LkP9sT4wZ1yH6jN3cF5dA0eG8uI"
	// Everything is decided at once: high is allowed, critical is denied
	// (no code device).
	home := e2e.NewHome(t, "policy:\n  high: auto\n")
	srv := e2e.StartServe(t, bin, home)
	bash := func(cmd string) string {
		b, _ := json.Marshal(cmd)
		return `{"session_id":"s1","cwd":"/work/proj","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":` + string(b) + `}}`
	}
	commands := []string{
		"git push https://deploy:" + gh + "@github.com/acme/api.git main --force",
		`curl -fsS "https://api.example.com/v1/export?access_token=QueryTok3nValue99&page=2"`,
		"PGPASSWORD=PgSecretValue77 psql -h db.internal -c 'select 1'",
		"git clone https://oauth2:glpat-Zq8Xw7Vu6Ts5Rr4Qp3Oo@gitlab.com/acme/api.git",
	}
	secrets := []string{gh[4:], "QueryTok3nValue99", "PgSecretValue77", "Zq8Xw7Vu6Ts5Rr4Qp3Oo", "McpQueryTok77", "FileContentSecret00"}
	stdins := []string{
		`{"session_id":"s1","cwd":"/work/proj","hook_event_name":"PreToolUse","tool_name":"mcp__github__get_issue","tool_input":{"url":"https://api.github.com/x?access_token=McpQueryTok77"}}`,
		`{"session_id":"s1","cwd":"/work/proj","hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"file_path":"/work/proj/.env","content":"API_KEY=FileContentSecret00\n"}}`,
	}
	for _, c := range commands {
		stdins = append(stdins, bash(c))
	}
	check := func(where, text string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("secret %q in %s:\n%s", s, where, text)
			}
		}
	}
	for _, in := range stdins {
		r := e2e.Hook(t, bin, home, "claude", in)
		e2e.Decision(t, "claude", r)
		check("the hook's answer", r.Stdout+r.Stderr)
	}
	srv.Stop()
	check("the hook's log", hookLog(t, home))

	out, err := exec.Command(bin, "log", "--home", home, "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("log --json: %v\n%s", err, out)
	}
	check("log --json", string(out))
	for _, want := range []string{`https://deploy:ghp_***@github.com/acme/api.git main`, `access_token=***`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("log --json has no target %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "secret_suspected") {
		t.Errorf("entries recorded now are marked as holding a secret:\n%s", out)
	}
	out, err = exec.Command(bin, "log", "--home", home).CombinedOutput()
	if err != nil {
		t.Fatalf("log: %v\n%s", err, out)
	}
	check("log", string(out))
	for _, c := range commands {
		for _, args := range [][]string{{"explain", "--home", home, c}, {"explain", "--home", home, "--json", c}} {
			out, err := exec.Command(bin, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("%q: %v\n%s", args, err, out)
			}
			check("explain", string(out))
		}
	}
}

// TestLogMarksOldSecretsEndToEnd appends an entry as a version without
// redaction recorded it, then reads the ledger with the real binary: log
// marks the entry and prints it redacted, and verify still passes.
func TestLogMarksOldSecretsEndToEnd(t *testing.T) {
	const gh = "ghp_R8xQ2mVb7LkP9sT4wZ1yH6jN3cF5dA0eG8uI"
	home := e2e.NewHome(t, "")
	e2e.StartServe(t, bin, home).Stop() // creates the ledger, keys and checkpoints
	l, err := paths.Resolve(home, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lg, err := app.OpenLedger(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lg.Append(ctx, ledger.Entry{Kind: ledger.KindVerdict, RequestID: "req_0123456789ab", Action: "git.push.force",
		Target: "https://deploy:" + gh + "@github.com/acme/api.git main", Risk: "critical", Decision: "deny"}); err != nil {
		t.Fatal(err)
	}
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "log", "--home", home, "--json", "--action", "git.push.force").CombinedOutput()
	if err != nil {
		t.Fatalf("log --json: %v\n%s", err, out)
	}
	if strings.Contains(string(out), gh[4:]) || !strings.Contains(string(out), `"secret_suspected":true`) {
		t.Fatalf("old entry not marked, or its secret printed:\n%s", out)
	}
	out, err = exec.Command(bin, "log", "--home", home, "--action", "git.push.force").CombinedOutput()
	if err != nil || strings.Contains(string(out), gh[4:]) || !strings.Contains(string(out), "secret suspected") {
		t.Fatalf("log: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "verify", "--home", home).CombinedOutput(); err != nil {
		t.Fatalf("verify after marking: %v\n%s", err, out)
	}
}
