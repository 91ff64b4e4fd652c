package install

import (
	"os"
	"path/filepath"
	"strings"
)

// UnstableBinary says why the binary a hook entry would run is a poor
// target, or "" when it is not: a hook that points into a git checkout or
// a build directory breaks (or changes) with the next `make clean`, branch
// switch or rebuild, and Codex and Gemini then run every call unchecked.
// It looks at the binary's directory and its parents up to, not including,
// home (a home directory kept in git is not a checkout of Ony).
func UnstableBinary(bin, home string) string {
	bin = filepath.Clean(bin)
	if strings.Contains(bin, string(filepath.Separator)+"go-build") {
		return "it is a temporary build (go run)"
	}
	home = filepath.Clean(home)
	for d := filepath.Dir(bin); d != home && d != "/" && d != "."; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return "it is inside a git checkout (" + d + ")"
		}
		if _, err := os.Lstat(filepath.Join(d, "go.mod")); err == nil {
			return "it is inside a source tree (" + d + ")"
		}
	}
	return ""
}
