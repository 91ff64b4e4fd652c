package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/ony-dev/ony-tui/engine/verdict"
)

func TestPhoneStatusIsCopied(t *testing.T) {
	f := newFixture(t, nil)
	st := PhoneStatus{Enrolled: true, To: "+14*******23", Call: &CallStatus{Phase: CallRinging, Requests: []string{"req_a"}, Keys: []string{"a 1 approve"}}}
	f.eng.SetPhone(st)
	st.Call.Requests[0] = "changed"
	st.Call.Phase = CallEnded
	got := f.eng.Snapshot().Phone
	if got.Call.Requests[0] != "req_a" || got.Call.Phase != CallRinging {
		t.Fatalf("the engine shares the caller's status: %+v", got.Call)
	}
	got.Call.Keys[0] = "x"
	if f.eng.Phone().Call.Keys[0] != "a 1 approve" {
		t.Fatal("a snapshot shares the engine's status")
	}
}

func TestDenyNowSignsWithTheEngine(t *testing.T) {
	f := newFixture(t, nil)
	tk, req := f.submit(t, "push --force")
	if err := f.eng.DenyNow(context.Background(), tk.RequestID, "denied: no answer on the phone"); err != nil {
		t.Fatal(err)
	}
	v := f.outcome(t, tk, req)
	eng, _ := f.reg.ActiveOf("engine")
	if v.Decision != verdict.Deny || v.ApproverDeviceID != eng.ID || v.Reason != "denied: no answer on the phone" {
		t.Fatalf("verdict %+v", v)
	}
	if err := f.eng.DenyNow(context.Background(), tk.RequestID, "again"); !errors.Is(err, ErrNotPending) {
		t.Fatalf("second deny: %v", err)
	}
}
