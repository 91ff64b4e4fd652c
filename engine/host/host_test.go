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
