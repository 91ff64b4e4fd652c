package realharness

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/hook/install/codexapp"
)

// prompt is what every CLI is asked; the fake model answers with the case's
// command whatever it says.
const prompt = "Run the command."

// driver is how to install, configure and run one CLI.
type driver struct {
	// name is the subtest name; harness is Ony's name for it.
	name, harness string
	pkg, version  string // npm package and the version asked for
	bin           string // the executable in node_modules/.bin
	api           api
	shellTool     string // the CLI's shell tool, as the model calls it
	// only lists the cases this driver runs (nil: all that apply).
	only []string
	// before prepares the CLI's config before `ony-tui install`.
	before func(t *testing.T, r *hrun)
	// trust makes the CLI run the hook as installed (Codex: /hooks trust).
	trust func(t *testing.T, r *hrun)
	// untrust undoes trust (Codex only).
	untrust func(t *testing.T, r *hrun)
	// command is the CLI run for one case, with the model at url.
	command func(r *hrun, url, caseDir string) (args []string, env []string)
	// expect overrides the default expectation of a case (see cases).
	expect map[string]expectation
}

// drivers are the CLIs under test. Cursor's CLI is not among them: it
// installs only from cursor.com (no npm or Debian package) and talks to
// Cursor's own backend, with no documented way to point it at another
// model API.
func drivers(n *npmEnv) []*driver {
	return []*driver{
		{
			name: "claude", harness: "claude", pkg: "@anthropic-ai/claude-code", version: n.version(claudeVersion),
			bin: "claude", api: anthropicAPI, shellTool: "Bash",
			command: claudeCommand,
			expect: map[string]expectation{
				caseMissing: {outcome: blocked, reason: `onFailure is "block"`},
				caseKill:    {outcome: blocked, reason: `onFailure is "block"`},
				caseTimeout: {outcome: blocked, reason: `onFailure is "block"`},
			},
		},
		{
			// The last version before onFailure "block": with the binary
			// missing it runs the call, which doctor warns about.
			name: "claude-" + claudeOldVersion, harness: "claude", pkg: "@anthropic-ai/claude-code", version: claudeOldVersion,
			bin: "claude", api: anthropicAPI, shellTool: "Bash",
			only:    []string{caseAllow, caseMissing, caseDoctor},
			command: claudeCommand,
			expect: map[string]expectation{
				caseMissing: {outcome: ran, known: "ignores onFailure block"},
			},
		},
		{
			name: "codex", harness: "codex", pkg: "@openai/codex", version: n.version(codexVersion),
			bin: "codex", api: responsesAPI, shellTool: "exec_command",
			before: codexConfig, trust: codexTrust, untrust: codexUntrust,
			command: codexCommand,
			expect: map[string]expectation{
				caseMissing: {outcome: ran, known: "no fail-closed switch"},
				caseKill:    {outcome: ran, known: "no fail-closed switch"},
				caseTimeout: {outcome: ran, known: "no fail-closed switch"},
			},
		},
		{
			name: "gemini", harness: "gemini", pkg: "@google/gemini-cli", version: n.version(geminiVersion),
			bin: "gemini", api: geminiAPI, shellTool: "run_shell_command",
			before:  geminiConfig,
			command: geminiCommand,
			expect: map[string]expectation{
				// Gemini runs hooks through bash: a missing binary is exit
				// 127, and any exit but 0 and 1 with text is a deny.
				caseMissing: {outcome: blocked, reason: "No such file or directory"},
				// A hook killed by a signal has no exit code: Gemini takes
				// it as 0 with no output, and runs the call.
				caseKill: {outcome: ran, known: "a killed hook reads as success"},
				// A hook past its timeout is killed and the call runs.
				caseTimeout: {outcome: ran, known: "a timed-out hook lets the call run"},
			},
		},
		{
			name: "copilot", harness: "copilot", pkg: "@github/copilot", version: n.version(copilotVersion),
			bin: "copilot", api: anthropicAPI, shellTool: "bash",
			command: copilotCommand,
			// Copilot denies when the hook dies or cannot start ("hook
			// errored"); its documentation says a timeout lets the call run.
			expect: map[string]expectation{
				caseMissing: {outcome: blocked, reason: "hook errored"},
				caseKill:    {outcome: blocked, reason: "hook errored"},
				caseTimeout: {outcome: ran, known: "a timed-out hook lets the call run"},
			},
		},
	}
}

// baseEnv is the environment every CLI runs with: nothing of the test's
// own, a private HOME, the cache's Node.js first on PATH.
func (r *hrun) baseEnv() []string {
	return []string{
		"PATH=" + r.path,
		"HOME=" + r.home,
		"LANG=C.UTF-8",
		"TERM=dumb",
		"NO_COLOR=1",
	}
}

func claudeCommand(r *hrun, url, caseDir string) ([]string, []string) {
	return []string{"-p", prompt, "--output-format", "json", "--allowedTools", "Bash",
			"--debug-file", filepath.Join(caseDir, "claude-debug.log")},
		append(r.baseEnv(),
			"ANTHROPIC_BASE_URL="+url,
			"ANTHROPIC_API_KEY=sk-ant-ony-fake",
			"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
			"DISABLE_AUTOUPDATER=1",
			"DISABLE_TELEMETRY=1",
			"DISABLE_ERROR_REPORTING=1",
		)
}

// codexConfig points Codex at a custom Responses provider (the URL is set
// per run with -c) with retries off, so a fake that is gone fails fast.
func codexConfig(t *testing.T, r *hrun) {
	t.Helper()
	dir := filepath.Join(r.home, ".codex")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := `model = "gpt-5.1-codex"
model_provider = "ony_fake"

[model_providers.ony_fake]
name = "Ony fake"
base_url = "http://127.0.0.1:9/v1"
wire_api = "responses"
env_key = "ONY_FAKE_OPENAI_KEY"
request_max_retries = 0
stream_max_retries = 0
`
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

func codexCommand(r *hrun, url, _ string) ([]string, []string) {
	// Codex's own approvals and sandbox are off, so only the hook decides.
	return []string{"exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox",
			"-c", `model_providers.ony_fake.base_url="` + url + `/v1"`, prompt},
		append(r.baseEnv(), "ONY_FAKE_OPENAI_KEY=ony-fake")
}

// codexApp starts Codex's app-server in the harness's home.
func codexApp(t *testing.T, r *hrun) (*codexapp.Client, context.Context, func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	c, err := codexapp.Start(ctx, r.cli, r.baseEnv(), r.dir)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return c, ctx, func() { c.Close(); cancel() }
}

// codexTrust does what trusting the hooks in Codex's /hooks screen does:
// it records each hook's current hash as trusted, through Codex's own
// app-server (hooks/list, then config/batchWrite).
func codexTrust(t *testing.T, r *hrun) {
	t.Helper()
	if r.codexUntrusted == nil {
		b, err := os.ReadFile(filepath.Join(r.home, ".codex", "config.toml"))
		if err != nil {
			t.Fatal(err)
		}
		r.codexUntrusted = b
	}
	c, ctx, done := codexApp(t, r)
	defer done()
	hooks, err := c.Hooks(ctx, r.dir)
	if err != nil {
		t.Fatal(err)
	}
	var edits []any
	for _, h := range hooks {
		if h.TrustStatus != codexapp.Trusted && strings.Contains(h.Command, " hook codex ") {
			edits = append(edits, map[string]any{"keyPath": "hooks.state", "mergeStrategy": "upsert",
				"value": map[string]any{h.Key: map[string]any{"trusted_hash": h.CurrentHash}}})
		}
	}
	if len(edits) > 0 {
		if err := c.Call(ctx, "config/batchWrite", map[string]any{"edits": edits, "reloadUserConfig": true}, nil); err != nil {
			t.Fatal(err)
		}
	}
	hooks, err = c.Hooks(ctx, r.dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, h := range hooks {
		if strings.Contains(h.Command, " hook codex ") {
			n++
			if !h.Runs() {
				t.Fatalf("Codex still does not run %s after trusting it: %+v", h.Key, h)
			}
		}
	}
	if n != 2 {
		t.Fatalf("Codex lists %d of Ony's hooks, want 2 (PreToolUse, PermissionRequest): %+v", n, hooks)
	}
}

// codexUntrust puts back config.toml as it was before trusting.
func codexUntrust(t *testing.T, r *hrun) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.home, ".codex", "config.toml"), r.codexUntrusted, 0o600); err != nil {
		t.Fatal(err)
	}
}

// geminiConfig selects API-key auth before install edits settings.json: with
// only a base URL Gemini picks an auth that -p mode refuses.
func geminiConfig(t *testing.T, r *hrun) {
	t.Helper()
	dir := filepath.Join(r.home, ".gemini")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	settings := "{\n  \"security\": { \"auth\": { \"selectedType\": \"gemini-api-key\" } }\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "settings.json"), []byte(settings), 0o600); err != nil {
		t.Fatal(err)
	}
}

func geminiCommand(r *hrun, url, _ string) ([]string, []string) {
	// yolo: Gemini's own confirmation never stops a call; --skip-trust: an
	// untrusted folder would turn yolo back off.
	return []string{"-p", prompt, "--approval-mode", "yolo", "--skip-trust", "--output-format", "json"},
		append(r.baseEnv(), "GOOGLE_GEMINI_BASE_URL="+url, "GEMINI_API_KEY=ony-fake")
}

func copilotCommand(r *hrun, url, _ string) ([]string, []string) {
	// Copilot CLI's documented bring-your-own-model mode; offline keeps it
	// from GitHub's servers.
	return []string{"-p", prompt, "--allow-all-tools"},
		append(r.baseEnv(),
			"COPILOT_PROVIDER_BASE_URL="+url,
			"COPILOT_PROVIDER_TYPE=anthropic",
			"COPILOT_PROVIDER_API_KEY=ony-fake",
			"COPILOT_MODEL=claude-sonnet-4.5",
			"COPILOT_OFFLINE=true",
		)
}

// runCLI runs the CLI for one case in dir with a deadline.
func (r *hrun) runCLI(t *testing.T, url, caseDir, work string) (stdout, stderr string, err error) {
	t.Helper()
	args, env := r.d.command(r, url, caseDir)
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.cli, args...)
	cmd.Dir, cmd.Env = work, env
	cmd.WaitDelay = 5 * time.Second
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return out.String(), errb.String(), err
}
