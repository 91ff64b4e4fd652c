package console

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// decider stands in for a person who answers at once: it watches the
// engine (in this process, or over the console socket) and approves
// whatever waits.
type decider interface {
	Snapshot() engine.Snapshot
	Subscribe() (<-chan struct{}, func())
	Decide(ctx context.Context, id string, a engine.Approval) error
}

func answer(ctx context.Context, d decider, ch <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
			for _, r := range d.Snapshot().Pending {
				_ = d.Decide(ctx, r.ID, engine.Approval{Approve: true})
			}
		}
	}
}

// BenchmarkDecision measures one held request from Submit to its signed
// verdict when the answer comes from a console in the engine's process and
// from a console attached over the console socket (the human's time left
// out: the "console" answers as soon as it sees the request). Compare the
// two sub-benchmarks of one run.
func BenchmarkDecision(b *testing.B) {
	for _, mode := range []string{"in-process", "attached"} {
		b.Run(mode, func(b *testing.B) {
			r := newRigB(b)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var d decider = r.eng
			if mode == "attached" {
				c, err := Dial(ctx, r.sock, ClientOptions{Label: "bench", EngineUID: os.Getuid()})
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				d = c
			}
			ch, stop := d.Subscribe() // before the first request, so no change is missed
			defer stop()
			go answer(ctx, d, ch)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req := wire.Request{V: wire.Version, Type: wire.TypeRequest, Nonce: fmt.Sprintf("%032x", i),
					Call: wire.ToolCall{Harness: "claude", Event: "PreToolUse", SessionID: "s1", ToolName: "Bash",
						Kind: wire.KindShell, Command: "git push -f", InputDigest: strings.Repeat("1f", 32)}}
				tk, err := r.eng.Submit(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				if o, err := tk.Wait(ctx); err != nil || o.Verdict == nil {
					b.Fatalf("no verdict: %+v %v", o, err)
				}
			}
		})
	}
}
