package tui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/taxonomy"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/hook/harness"
	"github.com/ony-dev/ony-tui/internal/app"
	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/ledgercli"
)

// secretCase is a tool call, as a harness sends it, that carries secrets.
type secretCase struct {
	name    string
	harness string // the hook input's harness
	tool    string
	input   string   // the tool input, JSON
	secrets []string // none may appear anywhere Ony shows, records, signs or speaks
}

// Made-up secrets, one family per case so a leak names its case.
func secretCases() []secretCase {
	const gh = "ghp_R8xQ2mVb7LkP9sT4wZ1yH6jN3cF5dA0eG8uI"
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	bash := func(cmd string) string { return `{"command":` + q(cmd) + `}` }
	return []secretCase{
		{"force push with a token in the url", "claude", "Bash", bash("git push https://deploy:" + gh + "@github.com/acme/api.git main --force"), []string{gh[4:]}},
		{"push with a password in the url", "claude", "Bash", bash("git push https://deploy:Pa55w0rdPushSecret@github.com/acme/api.git HEAD:main"), []string{"Pa55w0rdPushSecret"}},
		{"gitlab oauth2 clone", "codex", "shell", `{"command":["bash","-lc",` + q("git clone https://oauth2:glpat-Zq8Xw7Vu6Ts5Rr4Qp3Oo@gitlab.com/acme/api.git /tmp/api") + `]}`, []string{"Zq8Xw7Vu6Ts5Rr4Qp3Oo"}},
		{"access token in a query", "claude", "Bash", bash(`curl -fsS "https://api.example.com/v1/export?access_token=QueryTok3nValue99&page=2" -o out.json`), []string{"QueryTok3nValue99"}},
		{"pgpassword", "claude", "Bash", bash("PGPASSWORD=PgSecretValue77 psql -h db.prod.internal -U app -c 'drop table users'"), []string{"PgSecretValue77"}},
		{"mysql -p", "gemini", "run_shell_command", bash("mysql -u root -pMyS3cretRootPw -h db.prod -e 'DROP DATABASE app'"), []string{"MyS3cretRootPw"}},
		{"authorization header", "claude", "Bash", bash(`curl -X DELETE -H "Authorization: Bearer BearerTok3nZZ91" https://api.example.com/v1/users/1`), []string{"BearerTok3nZZ91"}},
		{"kubectl from-literal", "claude", "Bash", bash("kubectl create secret generic db --from-literal=password=KubeLiteralPw55 -n prod"), []string{"KubeLiteralPw55"}},
		{"private key written by a shell", "claude", "Bash", bash("printf '%s\\n' '-----BEGIN OPENSSH PRIVATE KEY-----' 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ' '-----END OPENSSH PRIVATE KEY-----' > ~/.ssh/id_ed25519"), []string{"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"}},
		{"aws keys in env", "claude", "Bash", bash("AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzKEY aws s3 rm --recursive s3://prod-backups"), []string{"QWERTYUIOPASDFGH", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzKEY"}},
		{"jwt", "claude", "Bash", bash("curl -H 'Cookie: session=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlU2VjcmV0' https://admin.example.com/danger"), []string{"eyJzdWIiOiJhZG1pbiJ9", "c2lnbmF0dXJlU2VjcmV0"}},
		{"token in an unknown program", "claude", "Bash", bash("./deploy --token " + gh + " --env production"), []string{gh[4:]}},
		{"mcp arguments", "claude", "mcp__github__create_issue", `{"url":"https://api.github.com/repos/acme/api/issues?access_token=McpQueryTok77","path":"/home/u/proj/x?token=McpPathTok88","body":"token ` + gh + `"}`, []string{"McpQueryTok77", "McpPathTok88", gh[4:]}},
		{"web fetch", "claude", "WebFetch", `{"url":"https://hooks.slack.com/services/T0AB12CD3/B0XY98ZW7/SlackHookSecret42","prompt":"post"}`, []string{"SlackHookSecret42"}},
		{"file write with a key", "claude", "Write", `{"file_path":"/home/u/proj/.env","content":"AWS_SECRET_ACCESS_KEY=FileContentSecret00\nGITHUB_TOKEN=` + gh + `\n"}`, []string{"FileContentSecret00", gh[4:]}},
		{"file edit with a private key", "claude", "Edit", `{"file_path":"/home/u/.ssh/id_rsa","old_string":"x","new_string":"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAEditKeyBody\n-----END RSA PRIVATE KEY-----"}`, []string{"MIIEpAIBAAKCAQEAEditKeyBody"}},
		{"search for a token", "claude", "Grep", `{"pattern":"` + gh + `","path":"/home/u/proj"}`, []string{gh[4:]}},
	}
}

// parseCase turns a case into the tool call the hook would send.
func parseCase(t *testing.T, c secretCase) *wire.ToolCall {
	t.Helper()
	ad, err := harness.Lookup(c.harness)
	if err != nil {
		t.Fatal(err)
	}
	var stdin string
	switch c.harness {
	case "codex":
		stdin = `{"session_id":"s-codex","cwd":"/home/u/proj","hook_event_name":"PreToolUse","model":"gpt-5","tool_name":"` + c.tool + `","tool_input":` + c.input + `}`
	case "gemini":
		stdin = `{"session_id":"s-gemini","cwd":"/home/u/proj","hook_event_name":"BeforeTool","timestamp":"2026-01-01T00:00:00Z","tool_name":"` + c.tool + `","tool_input":` + c.input + `}`
	default:
		stdin = `{"session_id":"s-claude","cwd":"/home/u/proj","hook_event_name":"PreToolUse","tool_name":"` + c.tool + `","tool_input":` + c.input + `}`
	}
	call, _, err := ad.Parse([]byte(stdin), func(k string) string {
		if k == "CLAUDE_PROJECT_DIR" {
			return "/home/u/proj"
		}
		return ""
	})
	if err != nil {
		t.Fatalf("%s: parsing the hook input: %v", c.name, err)
	}
	return call
}

// leak fails the test if text holds any of the secrets.
func leak(t *testing.T, where, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("secret %q in %s:\n%s", s, where, text)
		}
	}
}

// TestNoSecretLeavesTheEngine runs calls that carry secrets through the
// real taxonomy, engine, ledger and console, and looks for the secrets in
// everything Ony shows, records, signs or hands to the phone: the
// classification the engine stores (ticket and snapshot), the console
// (every request selected, at two sizes, with secrets masked), the signed
// verdicts, every ledger entry, `log --json` and `explain` in both forms.
// Only the revealed detail pane may show the agent's raw text.
func TestNoSecretLeavesTheEngine(t *testing.T) {
	ctx := context.Background()
	home, err := os.MkdirTemp("", "ony")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	_ = os.Chmod(home, 0o700)
	l, err := paths.Resolve(home, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := l.EnsureDirs(); err != nil {
		t.Fatal(err)
	}
	// Every request waits for a person, so the console shows them all.
	if err := os.WriteFile(l.ConfigFile, []byte("policy:\n  low: approve\n  medium: approve\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	taxo, err := os.ReadFile(filepath.Join("..", "taxonomy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Start(ctx, app.Options{Layout: l, DefaultTaxonomy: taxo, Build: "test", Mode: "headless"})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			a.Close(ctx)
		}
	})
	if _, err := a.Devices.CreateWithSecret(device.KindTOTP, "phone app", []byte("0123456789abcdefghij")); err != nil {
		t.Fatal(err)
	}

	cases := secretCases()
	var all []string
	tickets := make([]*engine.Ticket, len(cases))
	for i, c := range cases {
		all = append(all, c.secrets...)
		call := parseCase(t, c)
		for _, asJSON := range []bool{false, true} {
			var buf bytes.Buffer
			if err := taxonomy.Explain(&buf, a.Taxonomy.Taxonomy.Classify(call), call, asJSON); err != nil {
				t.Fatal(err)
			}
			leak(t, fmt.Sprintf("%s: explain (json %v)", c.name, asJSON), buf.String(), c.secrets)
		}
		tk, err := a.Engine.Submit(ctx, wire.Request{V: wire.Version, Type: wire.TypeRequest, Nonce: fmt.Sprintf("%032x", i+1), Call: *call})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		tickets[i] = tk
		leak(t, c.name+": the ticket's classification", fmt.Sprintf("%+v", tk.Class), c.secrets)
	}

	snap := a.Engine.Snapshot()
	if len(snap.Pending) != len(cases) {
		t.Fatalf("%d requests waiting, want %d (all of them)", len(snap.Pending), len(cases))
	}
	for _, r := range snap.Pending {
		leak(t, "the snapshot's classification of "+r.ID, fmt.Sprintf("%+v", r.Class), all)
	}

	// The console over the same engine.
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		f := &fixture{t: t, eng: a.Engine, m: New(Deps{Engine: a.Engine, NoColor: true})}
		f.size(sz[0], sz[1])
		f.refresh()
		for i := range cases {
			f.m.queue.moveTo(i)
			f.refresh()
			leak(t, fmt.Sprintf("the console at %dx%d, %s selected", sz[0], sz[1], cases[i].name), f.screen(), all)
			r, _ := f.m.queue.current()
			masked, _ := detailLines(&r, &f.m.styles, false, 200)
			leak(t, "the whole detail of "+cases[i].name, strings.Join(masked, "\n"), all)
			if i == 0 {
				f.key("r")
				shown, _ := detailLines(&r, &f.m.styles, f.m.reveal == r.ID, 200)
				if !strings.Contains(strings.Join(shown, "\n"), cases[0].secrets[0]) {
					t.Errorf("r does not reveal the selected request's command:\n%s", strings.Join(shown, "\n"))
				}
				f.key("r")
			}
		}
	}

	// Decide each: the verdicts are signed over the redacted target.
	for i, r := range snap.Pending {
		approve := r.Need.String() == "approve"
		if err := a.Engine.Decide(ctx, r.ID, engine.Approval{Approve: approve}); err != nil {
			t.Fatalf("%s: deciding: %v", cases[i].name, err)
		}
	}
	for i, tk := range tickets {
		o, err := tk.Wait(ctx)
		if err != nil || o.Verdict == nil {
			t.Fatalf("%s: no verdict: %v %v", cases[i].name, err, o.Err)
		}
		leak(t, cases[i].name+": the signed verdict", string(o.Verdict)+o.Reason, all)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	closed = true

	r, err := ledger.OpenReader(ctx, l.LedgerFile)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := r.Since(ctx, 0, 1000)
	r.Close()
	if err != nil || len(entries) < 2*len(cases) {
		t.Fatalf("%d ledger entries: %v", len(entries), err)
	}
	for _, e := range entries {
		b, _ := json.Marshal(e)
		leak(t, fmt.Sprintf("ledger entry %d", e.Seq), string(b), all)
	}
	var out, errb bytes.Buffer
	opts := ledgercli.LogOptions{DB: l.LedgerFile, AuditKeyFile: filepath.Join(l.KeysDir, ledger.AuditKeyName), JSON: true}
	if code := ledgercli.Log(ctx, opts, &out, &errb); code != ledgercli.ExitIntact {
		t.Fatalf("log --json: exit %d: %s", code, errb.String())
	}
	leak(t, "log --json", out.String(), all)
	if strings.Contains(out.String(), "secret_suspected") {
		t.Errorf("entries recorded now are marked as holding a secret:\n%s", out.String())
	}
}
