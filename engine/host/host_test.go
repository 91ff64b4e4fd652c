package host

import (
	"os"
	"testing"
)

func TestID(t *testing.T) {
	id := ID()
	if len(id) != 64 {
		t.Fatalf("ID() = %q, want 64 hex digits", id)
	}
	if ID() != id {
		t.Error("ID is not stable")
	}
	name, _ := os.Hostname()
	if Of("", name) == Of("x", name) || Of("m", "a") == Of("m", "b") || Of("ma", "b") == Of("m", "ab") {
		t.Error("identities of different hosts collide")
	}
	if Of("", "") != "" {
		t.Error("a host with no machine id and no name must be unknown")
	}
}

// TestHostnameIsTheKernels: the node name from uname is what os.Hostname
// says, so a hook and an engine that differ in how they read it agree.
func TestHostnameIsTheKernels(t *testing.T) {
	want, err := os.Hostname()
	if err != nil {
		t.Skip("no host name here")
	}
	if got := hostname(); got != want {
		t.Fatalf("hostname() = %q, os.Hostname() = %q", got, want)
	}
}

// TestReadSmallReadsTheWholeMachineID: one read gets what os.ReadFile gets
// for a file of a machine id's size; a missing file is nil.
func TestReadSmallReadsTheWholeMachineID(t *testing.T) {
	p := t.TempDir() + "/machine-id"
	want := "0123456789abcdef0123456789abcdef\n"
	if err := os.WriteFile(p, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := string(readSmall(p)); got != want {
		t.Fatalf("readSmall = %q, want %q", got, want)
	}
	if b := readSmall(p + ".missing"); b != nil {
		t.Fatalf("a missing file read as %q", b)
	}
}
