package install

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ony-dev/ony-tui/hook/install/codexapp"
)

// CodexNotTrusted is what doctor and install say when Codex would skip
// Ony's hook.
const CodexNotTrusted = "installed but NOT trusted: Codex skips it and runs every call unchecked; open /hooks and trust it"

// CodexTrust is Codex's own view of Ony's entries: Codex runs a hook from
// hooks.json only after the user trusted it in /hooks, and a changed entry
// (another binary path, deadline or home) needs trusting again. Until then
// Codex skips it silently and every call runs unchecked.
type CodexTrust struct {
	// Codex is the codex executable asked, "" when none was found.
	Codex string
	// Version is what `codex --version` printed, "" when unknown.
	Version string
	// Checked: Codex answered for each of Ony's entries.
	Checked bool
	// Entries are Ony's entries as Codex reports them.
	Entries []codexapp.Hook
	// Trusted: Codex said it runs every one of Ony's entries.
	Trusted bool
	// Skipped: certainly not trusted, so Codex runs calls unchecked: Codex
	// said so, listed no Ony entry, or there is no trust record at all.
	Skipped bool
	// Text is one sentence for the user.
	Text string
}

// CheckCodexTrust asks Codex (found with FindCodex) whether it runs Ony's
// entries in the file Install writes for o (with o.System, Ony's managed
// entries, which Codex runs without a trust review). Without a codex executable it
// reads Codex's config.toml: no trust record for an entry means Codex skips
// it; a record that exists cannot be checked without Codex.
func CheckCodexTrust(ctx context.Context, o Options) CodexTrust {
	t := codexTarget()
	file := t.file(o, o.ProjectDir)
	if r, err := filepath.EvalSymlinks(file); err == nil {
		file = r
	}
	codex := FindCodex(o)
	ct := CodexTrust{Codex: codex}
	if codex == "" {
		if o.System {
			ct.Text = "codex not found on PATH to check; managed entries (requirements.toml) run without a trust review"
			return ct
		}
		return codexTrustOffline(o, file, ct)
	}
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second) // Codex starts in ~2 s; much longer on a loaded machine
	defer cancel()
	ct.Version = toolVersion(ctx, codex)
	dir := o.ProjectDir
	if dir == "" {
		dir = o.HomeDir
	}
	c, err := codexapp.Start(ctx, codex, nil, dir)
	if err != nil {
		ct.Text = fmt.Sprintf("could not ask Codex whether it trusts the hook (%v): open /hooks in Codex and check Ony's entries are trusted", err)
		return ct
	}
	defer c.Close()
	hooks, err := c.Hooks(ctx, dir)
	if err != nil {
		ct.Text = fmt.Sprintf("could not ask Codex whether it trusts the hook (%v): open /hooks in Codex and check Ony's entries are trusted", err)
		return ct
	}
	for _, h := range hooks {
		// A system install's entries are managed hooks (requirements.toml),
		// listed with Codex's own source name: match those by command.
		if (o.System || sameFile(h.SourcePath, file)) && (handlerInfo{argv: shellFields(h.Command)}).ours(t, o.Binary) {
			ct.Entries = append(ct.Entries, h)
		}
	}
	ct.Checked = true
	if len(ct.Entries) == 0 {
		ct.Skipped = true
		ct.Text = "Codex does not list Ony's hook: it runs every call unchecked; run `ony-tui install codex`"
		return ct
	}
	var skipped []string
	for _, h := range ct.Entries {
		if !h.Runs() {
			state := h.TrustStatus
			if !h.Enabled {
				state = "disabled"
			}
			skipped = append(skipped, fmt.Sprintf("%s %s", h.EventName, state))
		}
	}
	if len(skipped) > 0 {
		ct.Skipped = true
		ct.Text = fmt.Sprintf("%s (Codex%s: %s)", CodexNotTrusted, versionSuffix(ct.Version), strings.Join(skipped, ", "))
		return ct
	}
	ct.Trusted = true
	ct.Text = fmt.Sprintf("trusted in Codex%s (%d entries)", versionSuffix(ct.Version), len(ct.Entries))
	return ct
}

func versionSuffix(v string) string {
	if v == "" {
		return ""
	}
	return " " + v
}

// codexTrustOffline reads config.toml for trust records of the entries in
// file. Codex keys them "<file>:<event>:<group>:<handler>".
func codexTrustOffline(o Options, file string, ct CodexTrust) CodexTrust {
	cfg := filepath.Join(configDir(o, "CODEX_HOME", ".codex"), "config.toml")
	data, err := os.ReadFile(cfg)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		ct.Text = fmt.Sprintf("codex not found on PATH and %v: open /hooks in Codex and check Ony's entries are trusted", err)
		return ct
	}
	for _, ev := range []string{"pre_tool_use", "permission_request"} {
		if !strings.Contains(string(data), file+":"+ev+":") {
			ct.Skipped = true
			ct.Text = fmt.Sprintf("%s (no trust record for %s in %s; codex not found on PATH)", CodexNotTrusted, ev, cfg)
			return ct
		}
	}
	ct.Text = fmt.Sprintf("%s has trust records for Ony's entries, but codex was not found on PATH to check they match the entries now installed: open /hooks in Codex to check", cfg)
	return ct
}

func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	if r, err := filepath.EvalSymlinks(a); err == nil {
		a = r
	}
	return a == b
}

// FindCodex returns the codex executable a user would run: `codex` on PATH
// (through o.Getenv), "" when there is none.
func FindCodex(o Options) string {
	return lookPath(o, "codex")
}

// lookPath finds name on the PATH that o.Getenv gives (this process's when
// nil).
func lookPath(o Options, name string) string {
	path := os.Getenv("PATH")
	if o.Getenv != nil {
		path = o.Getenv("PATH")
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// toolVersion runs `<bin> --version` and returns its first line, "" on
// failure.
func toolVersion(ctx context.Context, bin string) string {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(line)
}
