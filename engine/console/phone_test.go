package console

import (
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine"
)

// An attached console sees the phone call as the engine's own console
// does.
func TestPhoneCallCrossesTheSocket(t *testing.T) {
	r := newRig(t)
	c := r.attach(t, "tmux pane")
	at := time.Now().UTC().Truncate(time.Millisecond)
	r.eng.SetPhone(engine.PhoneStatus{Enrolled: true, To: "+14*******23", Call: &engine.CallStatus{Phase: engine.CallAnswered,
		Requests: []string{"req_000000000001"}, Current: "req_000000000001", Keys: []string{"000000000001 3 repeat"},
		Started: at, Changed: at}})
	eventually(t, "the call on the attached console", func() bool {
		p := c.Snapshot().Phone
		return p.Call != nil && p.Call.Phase == engine.CallAnswered
	})
	s := c.Snapshot()
	p := s.Phone
	if !s.PhoneConfigured || !p.Enrolled || p.To != "+14*******23" || p.Call.Current != "req_000000000001" ||
		len(p.Call.Keys) != 1 || p.Call.Keys[0] != "000000000001 3 repeat" || !p.Call.Changed.Equal(at) {
		t.Fatalf("phone on the attached console %+v %+v", p, p.Call)
	}
}

// A phase the console does not know is an ended call, and text from the
// wire cannot carry terminal control characters.
func TestPhoneFromTheWireIsCleaned(t *testing.T) {
	got := toPhone(&Phone{To: "+1\x1b[2J", Call: &PhoneCall{Phase: "ringing-forever", Outcome: "x\x1b]0;t\x07", Keys: []string{"\u202e1"}}}, true)
	if got.Call.Phase != engine.CallEnded || strings.ContainsAny(got.To+got.Call.Outcome+got.Call.Keys[0], "\x1b\x07\u202e") {
		t.Fatalf("%+v %+v", got, got.Call)
	}
	if p := fromPhone(engine.PhoneStatus{}); p != nil {
		t.Fatalf("nothing to show, sent %+v", p)
	}
}
