package humanize

import (
	"math"
	"testing"
)

func TestCount(t *testing.T) {
	for n, want := range map[uint64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 1204: "1,204", 12345: "12,345",
		999999: "999,999", 1000000: "1,000,000", math.MaxUint64: "18,446,744,073,709,551,615",
	} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestPlural(t *testing.T) {
	if got := Plural(1, "entry", "entries"); got != "1 entry" {
		t.Error(got)
	}
	if got := Plural(0, "entry", "entries"); got != "0 entries" {
		t.Error(got)
	}
	if got := Plural(1500, "entry", "entries"); got != "1,500 entries" {
		t.Error(got)
	}
}
