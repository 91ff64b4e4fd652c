package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// unitName is the systemd user unit that runs the engine.
const unitName = "ony-tui.service"

// unitMarker starts every unit install writes; uninstall removes only a
// file that still carries it.
const unitMarker = "# Written by `ony-tui install service`; `ony-tui uninstall service` removes it."

// userUnitPath is where systemd reads the user's own units.
func userUnitPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding your home directory: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "systemd", "user", unitName), nil
}

// userUnit is the unit that runs `ony-tui serve` for this user: the engine
// outlives every console, and restarts if it fails.
func (g *globals) userUnit() (string, error) {
	bin, err := binaryPath()
	if err != nil {
		return "", err
	}
	exec := quoteUnitArg(bin) + " serve"
	onyHome, err := g.onyHome()
	if err != nil {
		return "", err
	}
	if onyHome != "" {
		exec += " --home " + quoteUnitArg(onyHome)
	}
	return unitMarker + `
[Unit]
Description=Ony engine: decides coding agents' tool calls (ony-tui serve)
Documentation=https://github.com/ony-dev/ony-tui#readme

[Service]
Type=simple
ExecStart=` + exec + `
Restart=on-failure
RestartSec=2

[Install]
WantedBy=default.target
`, nil
}

// quoteUnitArg quotes an argument for a systemd ExecStart line.
func quoteUnitArg(s string) string {
	if !strings.ContainsAny(s, " \t\"'\\%$;") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `%`, `%%`, `$`, `$$`)
	return `"` + r.Replace(s) + `"`
}

// installService writes and enables the user unit, or with add false
// disables and removes it. Without a running systemd it says how to run the
// engine instead.
func (g *globals) installService(add, dryRun bool, stdout io.Writer) error {
	path, err := userUnitPath()
	if err != nil {
		return err
	}
	if !add {
		return removeService(path, dryRun, stdout)
	}
	unit, err := g.userUnit()
	if err != nil {
		return err
	}
	if dryRun {
		fmt.Fprintf(stdout, "service: would write %s:\n%s", path, unit)
		fmt.Fprintln(stdout, "service: then run: systemctl --user daemon-reload && systemctl --user enable --now "+unitName)
		return nil
	}
	old, err := os.ReadFile(path)
	switch {
	case err == nil && !bytes.HasPrefix(old, []byte(unitMarker)):
		return fmt.Errorf("%s exists and was not written by ony-tui: move it aside first", path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "service: wrote %s:\n%s", path, unit)
	if out, err := systemctl("daemon-reload"); err != nil {
		fmt.Fprintf(stdout, "service: systemd is not running for this user here (%s).\n", out)
		fmt.Fprintln(stdout, "  Run the engine under tmux or any supervisor instead: ony-tui serve")
		fmt.Fprintln(stdout, "  Where systemd runs: systemctl --user daemon-reload && systemctl --user enable --now "+unitName)
		return nil
	}
	if out, err := systemctl("enable", "--now", unitName); err != nil {
		return fmt.Errorf("enabling %s: %s", unitName, out)
	}
	fmt.Fprintln(stdout, "service: enabled and started "+unitName+"; consoles (ony-tui) attach to it")
	return nil
}

func removeService(path string, dryRun bool, stdout io.Writer) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stdout, "service: %s is not installed (no %s)\n", unitName, path)
		return nil
	}
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(b, []byte(unitMarker)) {
		return fmt.Errorf("%s was not written by ony-tui (or was edited): kept; remove it yourself", path)
	}
	if dryRun {
		fmt.Fprintf(stdout, "service: would stop and disable %s and remove %s\n", unitName, path)
		return nil
	}
	if out, err := systemctl("disable", "--now", unitName); err != nil {
		fmt.Fprintf(stdout, "service: could not stop it through systemd (%s); stop a running `ony-tui serve` yourself\n", out)
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	_, _ = systemctl("daemon-reload")
	fmt.Fprintf(stdout, "service: removed %s\n", path)
	return nil
}

// systemctl runs `systemctl --user ARGS` and returns its trimmed output.
func systemctl(args ...string) (string, error) {
	out, err := exec.Command("systemctl", append([]string{"--user"}, args...)...).CombinedOutput()
	msg := strings.TrimSpace(string(out))
	if msg == "" && err != nil {
		msg = err.Error()
	}
	return msg, err
}
