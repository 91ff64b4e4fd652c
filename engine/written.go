package engine

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ony-dev/ony-tui/engine/redact"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// Code the agent wrote, then runs. Writing x.py is low and running python3
// x.py medium, so together they run anything. The engine remembers, per
// agent session, the files each approved call wrote or edited; a later call
// that directly executes one of them gets a note for the console, and with
// the written_code policy it is held at that risk.

// Bounds of the memory of written files.
const (
	maxWrittenSessions = 64   // sessions remembered; the least recently used goes first
	maxWrittenFiles    = 1024 // files per session; the oldest write goes first
)

// sessionKey names one agent session: session ids are the harness's own.
type sessionKey struct{ harness, session string }

func sessionOf(c *wire.ToolCall) sessionKey { return sessionKey{c.Harness, c.SessionID} }

// writtenFiles remembers the files each session wrote. It is safe for
// concurrent use.
type writtenFiles struct {
	mu       sync.Mutex
	sessions map[sessionKey]*sessionWrites
}

type sessionWrites struct {
	used  time.Time
	files map[string]time.Time // path -> when it was last written
	order []string             // paths in the order first written, for eviction
}

// record remembers that a session wrote paths at t.
func (w *writtenFiles) record(k sessionKey, paths []string, t time.Time) {
	if len(paths) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sessions == nil {
		w.sessions = map[sessionKey]*sessionWrites{}
	}
	s := w.sessions[k]
	if s == nil {
		if len(w.sessions) >= maxWrittenSessions {
			w.evictSession()
		}
		s = &sessionWrites{files: map[string]time.Time{}}
		w.sessions[k] = s
	}
	s.used = t
	for _, p := range paths {
		if _, ok := s.files[p]; !ok {
			if len(s.order) >= maxWrittenFiles {
				delete(s.files, s.order[0])
				s.order = s.order[1:]
			}
			s.order = append(s.order, p)
		}
		s.files[p] = t
	}
}

// evictSession forgets the least recently used session. w.mu is held.
func (w *writtenFiles) evictSession() {
	var oldest sessionKey
	var at time.Time
	first := true
	for k, s := range w.sessions {
		if first || s.used.Before(at) {
			oldest, at, first = k, s.used, false
		}
	}
	delete(w.sessions, oldest)
}

// writtenRun is a file a call runs that its session wrote earlier.
type writtenRun struct {
	path string
	at   time.Time // when the session last wrote it; zero: by this same call
}

// lookup returns the files among runs that the session wrote.
func (w *writtenFiles) lookup(k sessionKey, runs []string) []writtenRun {
	if len(runs) == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.sessions[k]
	if s == nil {
		return nil
	}
	var out []writtenRun
	for _, p := range runs {
		if t, ok := s.files[p]; ok {
			out = append(out, writtenRun{path: p, at: t})
		}
	}
	return out
}

// writtenCode finds the files a call runs that its session (or the call
// itself) wrote, and says so in notes. It reports whether there were any.
func (e *Engine) writtenCode(c *wire.ToolCall, class *Classification, now time.Time) ([]string, bool) {
	found := e.written.lookup(sessionOf(c), class.Runs)
	for _, r := range class.Runs {
		for _, w := range class.Writes {
			if r == w {
				found = append(found, writtenRun{path: r})
			}
		}
	}
	if len(found) == 0 {
		return nil, false
	}
	var notes []string
	for _, f := range found {
		name := redact.String(shortPath(f.path, c.CWD)) // shown, recorded nowhere else
		if f.at.IsZero() {
			notes = append(notes, "runs "+name+", written by this same call")
			continue
		}
		notes = append(notes, fmt.Sprintf("runs %s, written by this session %s ago", name, ago(now.Sub(f.at))))
	}
	return notes, true
}

// shortPath shows p relative to dir when it is inside it.
func shortPath(p, dir string) string {
	if dir != "" {
		if rel, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return p
}

// ago renders a duration the way a person says it: 5 s, 2 min, 3 h.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%d h", int(d.Hours()))
}
