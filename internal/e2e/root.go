package e2e

import (
	"os"
	"testing"
)

// InCI reports whether the tests run in CI (the CI variable set, as
// .ci/run does), where every test must run: one that cannot do what it
// needs fails instead of skipping.
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "0" && v != "false"
}

// RequireRoot stops a test that needs root (system users, files owned by
// other users, processes run as another uid). On a developer machine
// without root it skips with a message; in CI it fails, since CI runs as
// root and must run every test.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Getuid() == 0 {
		return
	}
	if InCI() {
		t.Fatal("this test needs root and CI must run it: run the tests as root (CI runs .ci/run as root)")
	}
	t.Skip("needs root (system users, files of other users): run `sudo go test` to include it; CI runs it")
}
