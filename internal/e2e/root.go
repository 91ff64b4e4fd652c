package e2e

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
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

// User is a system account a test created.
type User struct {
	Name     string
	UID, GID int
	Home     string
}

// As is the credential of a process of the user, in its own group and
// the extra groups given (what a login of a member of them has).
func (u User) As(groups ...int) *syscall.Credential {
	gs := make([]uint32, len(groups))
	for i, g := range groups {
		gs[i] = uint32(g)
	}
	return &syscall.Credential{Uid: uint32(u.UID), Gid: uint32(u.GID), Groups: gs}
}

// UniqueName is a fresh account name: "onyt-" and the role and random hex,
// short enough for useradd.
func UniqueName(role string) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("onyt-%s-%x", role, b)
}

// AddUser creates an account with a private home directory (useradd) and
// deletes both when the test ends. It needs root (RequireRoot).
func AddUser(t testing.TB, role string) User {
	t.Helper()
	name := UniqueName(role)
	home, err := os.MkdirTemp("", "onyhome")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("useradd", "--no-create-home", "--home-dir", home, "--shell", "/bin/sh", "--user-group", name).CombinedOutput(); err != nil {
		os.RemoveAll(home)
		t.Fatalf("useradd %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		DeleteAccounts(name)
		os.RemoveAll(home)
	})
	u := LookupUser(t, name)
	u.Home = home
	if err := os.Chown(home, u.UID, u.GID); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	return u
}

// LookupUser returns an existing account.
func LookupUser(t testing.TB, name string) User {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return User{Name: name, UID: uid, GID: gid, Home: u.HomeDir}
}

// LookupGID returns an existing group's id.
func LookupGID(t testing.TB, name string) int {
	t.Helper()
	g, err := user.LookupGroup(name)
	if err != nil {
		t.Fatal(err)
	}
	gid, _ := strconv.Atoi(g.Gid)
	return gid
}

// DeleteAccounts removes users and groups by name, ignoring those that do
// not exist: a test's cleanup of accounts it (or the code under test)
// created.
func DeleteAccounts(names ...string) {
	for _, n := range names {
		_ = exec.Command("userdel", n).Run()
		_ = exec.Command("groupdel", n).Run()
	}
}
