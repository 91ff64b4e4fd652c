package tui

import (
	"fmt"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/risk"
)

// BenchmarkView renders one frame with 1,000 requests waiting and a ledger
// of 1,000,000 entries, of which the panel holds only the visible tail.
func BenchmarkView(b *testing.B) {
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			const total = 1_000_000
			c := &fakeChain{status: ChainStatus{Entries: total, Verified: total, Head: entryHash(total), Checkpoint: "signed up to entry 999,936"}}
			for seq := uint64(total - 63); seq <= total; seq++ {
				c.entries = append(c.entries, ChainEntry{Seq: seq, Kind: "verdict", Action: "git.push.force", Decision: "approve",
					Prev: entryHash(seq - 1), Hash: entryHash(seq), Verified: true})
			}
			f := newFixture(b, fixtureOpts{chain: c})
			f.size(sz[0], sz[1])
			risks := risk.Levels()
			for i := 0; i < 1000; i++ {
				s := busySpecs()[i%len(busySpecs())]
				s.class = engine.Classification{Action: s.class.Action, Title: s.class.Title, Risk: risks[i%4], Target: s.class.Target, Matcher: s.class.Matcher}
				f.submit(s)
				f.clk.Add(100 * time.Millisecond)
			}
			f.refresh()
			f.loadChain()
			f.key("end") // the selection deep in the list
			if n := len(f.m.snap.Pending); n != 1000 {
				b.Fatalf("%d pending", n)
			}
			if n := len(f.m.ledger.entries); n > 64 {
				b.Fatalf("the panel holds %d entries", n)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				_ = f.m.View()
			}
		})
	}
}

// BenchmarkSnapshot applies an engine snapshot of 1,000 waiting requests,
// which the console does on every change.
func BenchmarkSnapshot(b *testing.B) {
	f := newFixture(b, fixtureOpts{})
	f.size(160, 48)
	for i := 0; i < 1000; i++ {
		f.submit(busySpecs()[i%len(busySpecs())])
	}
	msg := f.m.snapper.take(false)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f.m.snapSeq = 0
		f.apply(msg)
	}
}
