package trust

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// moduleRoot is the repository's root directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// The ony-tui binary must not link the virtual card: the virtual card is
// the only code that builds Roots trusting a test CA.
func TestShippedBinaryDoesNotImportTheVirtualCard(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Dir = moduleRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	found := false
	for _, p := range deps {
		if strings.Contains(p, "/engine/yubikey/vcard") {
			t.Errorf("the ony-tui binary imports %s", p)
		}
		found = found || strings.HasSuffix(p, "/engine/yubikey/internal/trust")
	}
	if !found {
		t.Fatal("the binary does not import the trust package: this test no longer looks at the right thing")
	}
}

// Test (roots other than Yubico's) is called only by the virtual card's
// packages; nothing else in the module, test or not, may build them.
func TestOnlyTheVirtualCardBuildsTestRoots(t *testing.T) {
	root := moduleRoot(t)
	var callers []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "trust.Test(") {
			rel, _ := filepath.Rel(root, path)
			callers = append(callers, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range callers {
		dir := filepath.ToSlash(filepath.Dir(c))
		switch {
		case strings.HasPrefix(dir, "engine/yubikey/vcard"):
		case dir == "engine/yubikey/internal/trust": // this test's own source
		case dir == "engine/yubikey" && strings.HasSuffix(c, "_test.go"): // the package's own tests
		default:
			t.Errorf("%s builds test roots", c)
		}
	}
	if len(callers) == 0 {
		t.Fatal("no caller found: this test no longer looks at the right thing")
	}
}

func TestZeroRootsAreYubicos(t *testing.T) {
	var r Roots
	if !r.Yubico() {
		t.Fatal("the zero Roots are not Yubico's")
	}
}
