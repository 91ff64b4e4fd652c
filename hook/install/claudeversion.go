package install

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// MinClaudeFailClosed is the first Claude Code version that honours
// onFailure "block". Older versions ignore the key: with the hook's binary
// missing, 2.1.197 and 2.1.294 ran the call (hook/realharness pins 2.1.294).
const MinClaudeFailClosed = "2.1.295"

// ClaudeVersion is the installed Claude Code and whether it honours the
// fail-closed switch install writes.
type ClaudeVersion struct {
	// Binary is the claude executable found, "" when none.
	Binary string
	// Version is its version (x.y.z), "" when unknown.
	Version string
	// FailClosed: Version is MinClaudeFailClosed or later.
	FailClosed bool
	// Text is one sentence for the user.
	Text string
}

// CheckClaudeVersion finds the claude a user would run (on PATH, else where
// Claude Code's own installer puts it) and reads its version.
func CheckClaudeVersion(ctx context.Context, o Options) ClaudeVersion {
	cv := ClaudeVersion{Binary: lookPath(o, "claude")}
	if cv.Binary == "" && o.HomeDir != "" {
		for _, p := range []string{filepath.Join(o.HomeDir, ".local", "bin", "claude"), filepath.Join(o.HomeDir, ".claude", "local", "claude")} {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				cv.Binary = p
				break
			}
		}
	}
	if cv.Binary == "" {
		cv.Text = fmt.Sprintf("claude not found on PATH, so its version is unknown: onFailure \"block\" needs Claude Code %s or later (older versions let the call run when the hook is missing or crashes)", MinClaudeFailClosed)
		return cv
	}
	cv.Version = semver(toolVersion(ctx, cv.Binary))
	switch {
	case cv.Version == "":
		cv.Text = fmt.Sprintf("could not read the version of %s: onFailure \"block\" needs Claude Code %s or later", cv.Binary, MinClaudeFailClosed)
	case compareVersions(cv.Version, MinClaudeFailClosed) < 0:
		cv.Text = fmt.Sprintf("Claude Code %s ignores onFailure \"block\": a missing, crashing or hung hook lets the call run; update to %s or later", cv.Version, MinClaudeFailClosed)
	default:
		cv.FailClosed = true
		cv.Text = fmt.Sprintf("Claude Code %s honours onFailure \"block\"", cv.Version)
	}
	return cv
}

// semver returns the first x.y.z in s, "" when there is none.
func semver(s string) string {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '(' || r == ')' || r == 'v' }) {
		parts := strings.Split(f, ".")
		if len(parts) < 3 {
			continue
		}
		ok := true
		for _, p := range parts[:3] {
			if _, err := strconv.Atoi(p); err != nil {
				ok = false
			}
		}
		if ok {
			return strings.Join(parts[:3], ".")
		}
	}
	return ""
}

// compareVersions compares two x.y.z versions numerically.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < 3; i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
