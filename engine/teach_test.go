package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/verdict"
	"github.com/ony-dev/ony-tui/engine/wire"
	"github.com/ony-dev/ony-tui/ledger"
)

// memOverlay is an overlay in memory that the classifier consults.
type memOverlay struct {
	mu    sync.Mutex
	rules map[string]OverlayRule // by program
	fail  error
}

func (o *memOverlay) AddProgram(_ context.Context, prog string, r risk.Level, title, comment string) (OverlayChange, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail != nil {
		return OverlayChange{}, o.fail
	}
	rule := OverlayRule{ID: "owner." + prog, Title: title, Risk: r, Programs: []string{prog}, File: "/o.yaml", Line: 4, Comment: comment}
	o.rules[prog] = rule
	return OverlayChange{Rule: rule, SHA256: strings.Repeat("ab", 32)}, nil
}

func (o *memOverlay) Rules(context.Context) ([]OverlayRule, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []OverlayRule
	for _, r := range o.rules {
		out = append(out, r)
	}
	return out, nil
}

func (o *memOverlay) Remove(_ context.Context, id string) (OverlayChange, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for p, r := range o.rules {
		if r.ID == id {
			delete(o.rules, p)
			return OverlayChange{Rule: r, SHA256: strings.Repeat("cd", 32)}, nil
		}
	}
	return OverlayChange{}, errors.New("no such rule")
}

// overlayClassifier is standingClassifier with the overlay's programs.
type overlayClassifier struct {
	standingClassifier
	o *memOverlay
}

func (c overlayClassifier) Classify(call *wire.ToolCall, h Host) Classification {
	w, _, _ := strings.Cut(call.Command, " ")
	c.o.mu.Lock()
	r, ok := c.o.rules[w]
	c.o.mu.Unlock()
	if ok {
		return Classification{Action: r.ID, Title: r.Title, Risk: r.Risk, Target: w}
	}
	cl := c.standingClassifier.Classify(call, h)
	if cl.Action == "unknown" && !strings.HasPrefix(w, "./") {
		cl.Program = w
	}
	return cl
}

func teachFixture(t *testing.T) (*fixture, *memOverlay) {
	o := &memOverlay{rules: map[string]OverlayRule{}}
	f := newFixture(t, func(opts *Options) {
		opts.Classifier = overlayClassifier{o: o}
		opts.Overlay = o
	})
	return f, o
}

func TestClassifyProgramApprovesAndAppliesFromThenOn(t *testing.T) {
	f, o := teachFixture(t)
	ctx := context.Background()
	tk, req := f.submitIn(t, "s-1", "webctl build")
	if _, err := f.eng.ClassifyProgram(ctx, tk.RequestID, risk.Medium, "Run webctl", Approval{Approve: true}); !errors.Is(err, ErrCodeRequired) {
		t.Fatalf("without the code: %v", err)
	}
	if len(o.rules) != 0 {
		t.Fatal("a rule was written before the code")
	}
	rule, err := f.eng.ClassifyProgram(ctx, tk.RequestID, risk.Medium, "Run webctl", Approval{Approve: true, Code: "123456", By: "pts/3"})
	if err != nil {
		t.Fatal(err)
	}
	if rule.ID != "owner.webctl" || !strings.Contains(rule.Comment, "classified at the console pts/3 (request "+tk.RequestID+", session s-1)") {
		t.Fatalf("rule %+v", rule)
	}
	v := f.outcome(t, tk, req)
	if v.Decision != verdict.Approve || strings.Join(v.Factors, ",") != "keypad,totp" || !strings.HasSuffix(v.Reason, "program webctl classified medium in the taxonomy overlay") {
		t.Fatalf("verdict %+v", v)
	}
	loaded := f.records(ledger.KindTaxonomyLoaded)
	if len(loaded) != 1 || loaded[0].Detail != "overlay sha256:"+strings.Repeat("ab", 32)+" from /o.yaml (added owner.webctl)" {
		t.Fatalf("ledger %+v", loaded)
	}
	// Every session now gets the rule's risk: medium needs an approval
	// (the default policy), no code.
	tk2, _ := f.submitIn(t, "s-2", "webctl deploy")
	if tk2.Class.Action != "owner.webctl" || tk2.Class.Risk != risk.Medium {
		t.Fatalf("the next call: %+v", tk2.Class)
	}
	if _, err := f.eng.ForgetRule(ctx, "owner.webctl"); err != nil {
		t.Fatal(err)
	}
	if tk3, _ := f.submitIn(t, "s-2", "webctl deploy"); tk3.Class.Action != "unknown" {
		t.Fatalf("after forget: %+v", tk3.Class)
	}
	if n := len(f.records(ledger.KindTaxonomyLoaded)); n != 2 {
		t.Fatalf("%d overlay entries", n)
	}
}

func TestClassifyProgramRefuses(t *testing.T) {
	f, o := teachFixture(t)
	ctx := context.Background()
	a := Approval{Approve: true, Code: "123456"}
	known, _ := f.submitIn(t, "s-1", "push --force")
	if _, err := f.eng.ClassifyProgram(ctx, known.RequestID, risk.Low, "x", a); !errors.Is(err, ErrNotClassifiable) {
		t.Fatalf("a known action: %v", err)
	}
	prot, _ := f.submitIn(t, "s-1", "tamper x")
	if _, err := f.eng.ClassifyProgram(ctx, prot.RequestID, risk.Low, "x", a); !errors.Is(err, ErrProtected) {
		t.Fatalf("a protected action: %v", err)
	}
	script, _ := f.submitIn(t, "s-1", "./build.sh")
	if _, err := f.eng.ClassifyProgram(ctx, script.RequestID, risk.Low, "x", a); !errors.Is(err, ErrNotClassifiable) {
		t.Fatalf("a script: %v", err)
	}
	tk, _ := f.submitIn(t, "s-1", "webctl build")
	for _, r := range []risk.Level{risk.Critical, 0} {
		if _, err := f.eng.ClassifyProgram(ctx, tk.RequestID, r, "x", a); err == nil {
			t.Fatalf("risk %v taken", r)
		}
	}
	if _, err := f.eng.ClassifyProgram(ctx, tk.RequestID, risk.Low, "  ", a); err == nil {
		t.Fatal("an empty title taken")
	}
	// The approval stands when the file cannot be written, and says so.
	o.fail = errors.New("read-only file system")
	if _, err := f.eng.ClassifyProgram(ctx, tk.RequestID, risk.Low, "Run webctl", a); err == nil || !strings.Contains(err.Error(), "approved, but the rule was not written") {
		t.Fatalf("a failed write: %v", err)
	}
	if pendingHas(f.eng, tk.RequestID) {
		t.Fatal("the request still waits")
	}
	if len(f.eng.Snapshot().Problems) == 0 {
		t.Fatal("the failed write is not shown")
	}
}

func TestNoOverlayNoClassify(t *testing.T) {
	f := standingFixture(t, nil)
	tk, _ := f.submitIn(t, "s-1", "webctl build")
	if _, err := f.eng.ClassifyProgram(context.Background(), tk.RequestID, risk.Low, "x", Approval{Approve: true}); !errors.Is(err, ErrNoOverlay) {
		t.Fatal(err)
	}
}
