package engine

import (
	"time"

	"github.com/ony-dev/ony-tui/engine/wire"
)

// A harness may ask twice about one tool call: Claude Code and Codex send a
// PermissionRequest when they are about to show their own prompt, after the
// PreToolUse that Ony already decided. The engine remembers each human
// approval briefly so that this second question about the identical call is
// answered without asking the person again. A remembered approval answers
// one permission request, for the same harness, session, tool and input
// digest, within RecentWindow; anything else is classified afresh.

// RecentWindow is how long a human approval answers a follow-up permission
// request for the same call.
const RecentWindow = 60 * time.Second

type recentKey struct{ harness, session, tool, input string }

type recentApproval struct {
	at        time.Time
	requestID string
	factors   []string
	step      uint64
}

func keyOf(c *wire.ToolCall) recentKey {
	return recentKey{c.Harness, c.SessionID, c.ToolName, c.InputDigest}
}

// isPermissionRequest reports whether the event is a harness's "about to
// prompt" question rather than the first look at a call.
func isPermissionRequest(event string) bool {
	return event == "PermissionRequest" || event == "permissionRequest"
}

// remember records a human approval. Callers hold no lock.
func (e *Engine) remember(p *pending, factors []string, step uint64) {
	if isPermissionRequest(p.call.Event) {
		return
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, r := range e.recent {
		if now.Sub(r.at) > RecentWindow {
			delete(e.recent, k)
		}
	}
	e.recent[keyOf(&p.call)] = recentApproval{at: now, requestID: p.id, factors: factors, step: step}
}

// takeRecent returns and forgets the approval that answers c, if any.
func (e *Engine) takeRecent(c *wire.ToolCall) (recentApproval, bool) {
	if !isPermissionRequest(c.Event) {
		return recentApproval{}, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	k := keyOf(c)
	r, ok := e.recent[k]
	if !ok {
		return recentApproval{}, false
	}
	delete(e.recent, k)
	if e.now().Sub(r.at) > RecentWindow {
		return recentApproval{}, false
	}
	return r, true
}
