package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/ony-dev/ony-tui/engine/verdict"
)

// TestPermissionRequestAfterApprovalAsksOnce: the harness's follow-up
// question about the call a human just approved is answered without asking
// again, once, and only for the identical call.
func TestPermissionRequestAfterApprovalAsksOnce(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	tk, req := f.submit(t, "push --force")
	if err := f.eng.Decide(ctx, tk.RequestID, Approval{Approve: true}); err != nil {
		t.Fatal(err)
	}
	f.outcome(t, tk, req)
	follow := request("push --force")
	follow.Call.Event = "PermissionRequest"
	tk2, err := f.eng.Submit(ctx, follow)
	if err != nil {
		t.Fatal(err)
	}
	if v := f.outcome(t, tk2, follow); v.Decision != verdict.Approve || !strings.Contains(v.Reason, tk.RequestID) {
		t.Fatalf("follow-up: %+v", v)
	}
	// Only once: a second permission request waits for a human.
	tk3, _ := f.eng.Submit(ctx, follow)
	if len(f.eng.Snapshot().Pending) != 1 {
		t.Fatal("a remembered approval answered twice")
	}
	f.eng.Abandon(tk3.RequestID)
	// A different call (other input) is not answered by it.
	tk4, req4 := f.submit(t, "push --force")
	_ = f.eng.Decide(ctx, tk4.RequestID, Approval{Approve: true})
	f.outcome(t, tk4, req4)
	other := request("push --force")
	other.Call.Event, other.Call.InputDigest = "PermissionRequest", strings.Repeat("2e", 32)
	tk5, _ := f.eng.Submit(ctx, other)
	if snap := f.eng.Snapshot(); len(snap.Pending) != 1 || snap.Pending[0].ID != tk5.RequestID {
		t.Fatal("an approval answered a different call")
	}
	// A PreToolUse of the same call is never answered from memory.
	tk6, req6 := f.submit(t, "push --force")
	if snap := f.eng.Snapshot(); len(snap.Pending) != 2 {
		t.Fatalf("PreToolUse answered from memory: %d pending", len(snap.Pending))
	}
	_ = req6
	f.eng.Abandon(tk6.RequestID)
}
