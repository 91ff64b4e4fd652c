package engine

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
)

// filesByCommand classifies "write P", "run P" and "both P" (write and run
// in one call): low writes, medium runs, as the taxonomy rates writing
// x.py and running python3 x.py. It records the host of every call.
type filesByCommand struct {
	mu    sync.Mutex
	hosts []Host
}

func (f *filesByCommand) Classify(c *wire.ToolCall, from Host) Classification {
	f.mu.Lock()
	f.hosts = append(f.hosts, from)
	f.mu.Unlock()
	verb, path, _ := strings.Cut(c.Command, " ")
	switch verb {
	case "write":
		return Classification{Action: "file.edit.project", Risk: risk.Low, Writes: []string{path}}
	case "heldwrite":
		return Classification{Action: "file.write.outside", Risk: risk.High, Writes: []string{path}}
	case "run":
		return Classification{Action: "exec.project_script", Risk: risk.Medium, Runs: []string{path}}
	case "both":
		return Classification{Action: "exec.project_script", Risk: risk.Medium, Writes: []string{path}, Runs: []string{path}}
	}
	return Classification{Action: "unknown", Risk: risk.Critical}
}

func writtenFixture(t *testing.T, policy risk.Level) (*fixture, *filesByCommand, *time.Time) {
	t.Helper()
	cls := &filesByCommand{}
	now := time.Now()
	f := newFixture(t, func(o *Options) {
		o.Classifier = cls
		o.Config.WrittenCode = policy
		o.Now = func() time.Time { return now }
		o.HostID = "host-a"
	})
	return f, cls, &now
}

// TestWrittenCodeNote checks that a run of a file the same session wrote
// is shown as such, and only for that session.
func TestWrittenCodeNote(t *testing.T) {
	f, _, now := writtenFixture(t, 0)
	tk, req := f.submit(t, "write /p/x.py")
	f.outcome(t, tk, req)
	*now = now.Add(2*time.Minute + 10*time.Second)

	req = request("run /p/x.py")
	req.Call.CWD = "/p"
	tk, err := f.eng.Submit(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := tk.Ready()
	if !ok || o.Decision != verdict.Approve || tk.Class.Risk != risk.Medium || tk.Need != config.Auto {
		t.Fatalf("without the policy the run keeps its risk: %+v %s %s", o, tk.Class.Risk, tk.Need)
	}

	// Held, so the note can be seen in the snapshot.
	f2, _, now2 := writtenFixture(t, risk.High)
	tk, req = f2.submit(t, "write /p/x.py")
	f2.outcome(t, tk, req)
	*now2 = now2.Add(2 * time.Minute)
	req = request("run /p/x.py")
	req.Call.CWD = "/p"
	tk, err = f2.eng.Submit(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Need != config.Approve || tk.Class.Risk != risk.High {
		t.Fatalf("written_code: high did not hold the run: need %s risk %s", tk.Need, tk.Class.Risk)
	}
	snap := f2.eng.Snapshot().Pending
	if len(snap) != 1 || len(snap[0].Notes) != 2 || snap[0].Notes[0] != "runs x.py, written by this session 2 min ago" ||
		snap[0].Notes[1] != "held at high by policy written_code" {
		t.Fatalf("notes %+v", snap)
	}
	if err := f2.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: false}); err != nil {
		t.Fatal(err)
	}

	// Another session ran the same path: nothing to say.
	other := request("run /p/x.py")
	other.Call.SessionID = "s2"
	tk, err = f2.eng.Submit(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Need != config.Auto {
		t.Fatalf("another session's run was held: %s", tk.Need)
	}
}

// TestWrittenCodeDeniedWriteIsNotRemembered: a write the owner denied never
// happened, so running that path later says nothing of it; the same write
// approved is remembered.
func TestWrittenCodeDeniedWriteIsNotRemembered(t *testing.T) {
	for _, approve := range []bool{false, true} {
		f, _, _ := writtenFixture(t, risk.High)
		tk, err := f.eng.Submit(context.Background(), request("heldwrite /p/y.sh"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.eng.Decide(context.Background(), tk.RequestID, Approval{Approve: approve}); err != nil {
			t.Fatal(err)
		}
		tk, err = f.eng.Submit(context.Background(), request("run /p/y.sh"))
		if err != nil {
			t.Fatal(err)
		}
		if held := tk.Need != config.Auto; held != approve {
			t.Fatalf("write approved %v: the run was held %v", approve, held)
		}
	}
}

// TestWrittenCodeSameCall: a call that writes a file and runs it.
func TestWrittenCodeSameCall(t *testing.T) {
	f, _, _ := writtenFixture(t, risk.Critical)
	tk, err := f.eng.Submit(context.Background(), request("both /p/z.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if tk.Need != config.ApproveCode || tk.Class.Risk != risk.Critical {
		t.Fatalf("write-and-run with written_code: critical: need %s risk %s", tk.Need, tk.Class.Risk)
	}
	if n := f.eng.Snapshot().Pending[0].Notes; len(n) == 0 || n[0] != "runs /p/z.sh, written by this same call" {
		t.Fatalf("notes %q", n)
	}
}

// TestWrittenFilesBounded fills the memory past its bounds.
func TestWrittenFilesBounded(t *testing.T) {
	var w writtenFiles
	t0 := time.Unix(0, 0)
	for s := range maxWrittenSessions + 10 {
		k := sessionKey{"claude", strings.Repeat("s", 1) + string(rune('A'+s%26)) + string(rune('a'+s/26))}
		w.record(k, []string{"/p/a"}, t0.Add(time.Duration(s)*time.Second))
	}
	if len(w.sessions) != maxWrittenSessions {
		t.Fatalf("%d sessions kept", len(w.sessions))
	}
	k := sessionKey{"claude", "big"}
	for i := range maxWrittenFiles + 100 {
		w.record(k, []string{"/p/f" + time.Duration(i).String()}, t0)
	}
	if s := w.sessions[k]; len(s.files) != maxWrittenFiles || len(s.order) != maxWrittenFiles {
		t.Fatalf("%d files kept", len(s.files))
	}
	if got := w.lookup(k, []string{"/p/f0s"}); got != nil {
		t.Fatal("the oldest file was not evicted")
	}
}

// TestHostOrigin checks that a call is classified as local only when the
// hook names the engine's own host.
func TestHostOrigin(t *testing.T) {
	f, cls, _ := writtenFixture(t, 0)
	for _, h := range []string{"host-a", "host-b", ""} {
		req := request("write /p/a")
		req.Host = h
		if _, err := f.eng.Submit(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if len(cls.hosts) != 3 || cls.hosts[0] != HostLocal || cls.hosts[1] != HostRemote || cls.hosts[2] != HostRemote {
		t.Fatalf("hosts %v", cls.hosts)
	}
	g, cls2, _ := writtenFixture(t, 0)
	g.eng.opts.HostID = "" // an engine that cannot name its host trusts no hook's
	req := request("write /p/a")
	if _, err := g.eng.Submit(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if cls2.hosts[0] != HostRemote {
		t.Fatal("an empty identity matched an empty identity")
	}
}
