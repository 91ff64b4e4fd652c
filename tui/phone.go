package tui

import (
	"strings"
	"time"

	"github.com/ony-dev/ony-tui/engine"
)

// The phone call's live state, as the engine reports it: a header segment
// while a call runs (and briefly after it ends) and a line in the detail
// of each request the call is about. Both read the snapshot only.

// phoneShownAfter is how long a finished call stays in the header.
const phoneShownAfter = 30 * time.Second

// phoneSegments is the header's phone segment, or nothing.
func (m *Model) phoneSegments() []string {
	c := m.snap.Phone.Call
	if c == nil || (c.Phase == engine.CallEnded && m.now().Sub(c.Changed) > phoneShownAfter) {
		return nil
	}
	st := &m.styles
	text := "☎ " + callPhaseText(c, m.snap.Phone.To)
	if c.Phase == engine.CallEnded {
		return []string{st.Dim.Render(text)}
	}
	return []string{st.Warn.Render(text)}
}

// callPhaseText says where the call is: "ringing +14*******23 (2
// requests)", "answered · last key 1 approve", "ended: no answer".
func callPhaseText(c *engine.CallStatus, to string) string {
	switch c.Phase {
	case engine.CallDialling:
		return "dialling " + to + " (" + plural(len(c.Requests), "request") + ")"
	case engine.CallRinging:
		return "ringing " + to + " (" + plural(len(c.Requests), "request") + ")"
	case engine.CallAnswered:
		s := "call answered"
		if n := len(c.Keys); n > 0 {
			_, k, _ := strings.Cut(c.Keys[n-1], " ") // drop the request id
			s += " · key " + k
		}
		return s
	}
	return "call ended: " + c.Outcome
}

// phoneLine is the detail's "phone" line for request r, or "".
func phoneLine(r *engine.Request, p engine.PhoneStatus) string {
	c := p.Call
	if r == nil || c == nil {
		return ""
	}
	in := false
	for _, id := range c.Requests {
		in = in || id == r.ID
	}
	if !in {
		return ""
	}
	switch {
	case c.Phase == engine.CallEnded:
		return "the call about it ended: " + c.Outcome
	case c.Phase != engine.CallAnswered:
		return string(c.Phase) + " " + p.To + ": the console can still answer first"
	case c.Current == r.ID:
		var keys []string
		prefix := strings.TrimPrefix(r.ID, "req_") + " "
		for _, k := range c.Keys {
			if strings.HasPrefix(k, prefix) {
				keys = append(keys, strings.TrimPrefix(k, prefix))
			}
		}
		s := "the owner is being asked about it now"
		if len(keys) > 0 {
			s += "; keys: " + strings.Join(keys, ", ")
		}
		return s
	}
	return "in the call, waiting its turn"
}
