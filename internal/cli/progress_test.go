package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// Progress redraws one line at most ten times a second, always shows the
// end, and clears itself.
func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := progressTo(&b, "verifying", func() time.Time { return now })
	p(65536, 1_000_000)
	p(131072, 1_000_000) // within 100 ms: not drawn
	now = now.Add(150 * time.Millisecond)
	p(196608, 1_000_000)
	p(1_000_000, 1_000_000) // the end is always drawn
	p(0, 0)
	got := b.String()
	want := "\r\x1b[Kverifying 65,536/1,000,000 (6%)" + "\r\x1b[Kverifying 196,608/1,000,000 (19%)" +
		"\r\x1b[Kverifying 1,000,000/1,000,000 (100%)" + "\r\x1b[K"
	if got != want {
		t.Fatalf("progress:\n got %q\nwant %q", got, want)
	}
	// Nothing drawn, nothing cleared.
	b.Reset()
	p = progressTo(&b, "x", time.Now)
	p(0, 0)
	if b.Len() != 0 || strings.Contains(b.String(), "\x1b") {
		t.Fatalf("cleared a line never drawn: %q", b.String())
	}
}
