package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/ledger"
)

// leakyClassifier puts the call's command, secret and all, in the title,
// target and matcher, as a taxonomy rule templated from free text would.
type leakyClassifier struct{ risk risk.Level }

func (l leakyClassifier) Classify(c *wire.ToolCall, _ Host) Classification {
	return Classification{Action: "git.push", Title: "Push " + c.Command, Risk: l.risk, Target: c.Command, Matcher: "shell: " + c.Command}
}

// TestEngineKeepsOnlyRedactedClassifications pins the choke point: the
// classification the engine stores (ticket, snapshot), every record it
// appends (target, risk hint, detail) and the verdict it signs carry no
// secret, while the verdict still binds the raw call's digest.
func TestEngineKeepsOnlyRedactedClassifications(t *testing.T) {
	const secret = "R8xQ2mVb7LkP9sT4wZ1yH6jN3cF5dA0eG8uI"
	cmd := "git push https://dev:ghp_" + secret + "@github.com/acme/api.git main"
	for _, r := range []risk.Level{risk.Low, risk.High, risk.Critical} {
		t.Run(r.String(), func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.Classifier = leakyClassifier{r} })
			req := request(cmd)
			req.Call.RiskHint = "low, token ghp_" + secret
			tk, err := f.eng.Submit(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			leaks := func(where string, v any) {
				t.Helper()
				if s := fmt.Sprintf("%+v", v); strings.Contains(s, secret) {
					t.Errorf("secret in %s: %s", where, s)
				}
			}
			leaks("the ticket", tk.Class)
			if want := "git push https://dev:ghp_***@github.com/acme/api.git main"; tk.Class.Target != want {
				t.Errorf("target %q, want %q", tk.Class.Target, want)
			}
			for _, r := range f.eng.Snapshot().Pending {
				leaks("the snapshot", r.Class)
				if err := f.eng.Decide(context.Background(), r.ID, Approval{Approve: false}); err != nil {
					t.Fatal(err)
				}
			}
			v := f.outcome(t, tk, req) // verifies against the raw call's digest
			leaks("the verdict", v)
			if v.Target != tk.Class.Target {
				t.Errorf("verdict target %q, ticket %q", v.Target, tk.Class.Target)
			}
			f.j.mu.Lock()
			recs := append([]ledger.Entry(nil), f.j.recs...)
			f.j.mu.Unlock()
			if len(recs) == 0 {
				t.Fatal("nothing recorded")
			}
			for _, r := range recs {
				leaks("a record", r)
			}
		})
	}
}
