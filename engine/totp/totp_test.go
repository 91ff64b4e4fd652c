package totp

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/enginetest"
	"github.com/ony-dev/ony-tui/ledger"
)

// store is the persisted state as a ledger would report it.
type store struct {
	mu sync.Mutex
	st State
}

func (s *store) CodeState(context.Context, time.Time) (State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st, nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func (c *clock) code(t *testing.T, secret []byte, off time.Duration) string {
	t.Helper()
	s, err := Code(secret, c.t.Add(off))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type fix struct {
	v      *Verifier
	reg    *device.Registry
	j      *enginetest.Journal
	st     *store
	clk    *clock
	secret []byte
	dev    device.Device
}

func newFix(t *testing.T) *fix {
	t.Helper()
	reg, _ := enginetest.Registry(t)
	secret := []byte("0123456789abcdefghij")
	d, err := reg.CreateWithSecret(device.KindTOTP, "phone app", secret)
	if err != nil {
		t.Fatal(err)
	}
	// 2026-06-30T14:22:15Z: 15 s into a step, so ±30 s stays inside the skew.
	clk := &clock{t: time.Date(2026, 6, 30, 14, 22, 15, 0, time.UTC)}
	f := &fix{reg: reg, j: &enginetest.Journal{}, st: &store{}, clk: clk, secret: secret, dev: d}
	f.v = New(reg, f.st, f.j, clk.now)
	return f
}

func TestValidCodeAndSkewEdges(t *testing.T) {
	for _, tc := range []struct {
		name string
		off  time.Duration
		ok   bool
	}{
		{"current step", 0, true},
		{"one step behind", -Period, true},
		{"one step ahead", Period, true},
		{"two steps behind", -2 * Period, false},
		{"two steps ahead", 2 * Period, false},
		{"last second of the step behind", -16 * time.Second, true},
		{"last second two steps behind", -46 * time.Second, false},
		{"first second of the step behind", -45 * time.Second, true},
		{"last second one step ahead", 44 * time.Second, true},
		{"first second two steps ahead", 45 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFix(t)
			code := f.clk.code(t, f.secret, tc.off)
			step, err := f.v.Check(context.Background(), "req_1", code)
			if tc.ok != (err == nil) {
				t.Fatalf("Check = %d, %v; want ok=%v", step, err, tc.ok)
			}
			if tc.ok && step != Step(f.clk.t.Add(tc.off)) {
				t.Fatalf("step %d, want %d", step, Step(f.clk.t.Add(tc.off)))
			}
		})
	}
}

func TestReplayRejected(t *testing.T) {
	f := newFix(t)
	ctx := context.Background()
	code := f.clk.code(t, f.secret, 0)
	if _, err := f.v.Check(ctx, "req_1", code); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.Check(ctx, "req_1", code); !errors.Is(err, ErrMismatch) {
		t.Fatalf("same code, same request: %v", err)
	}
	if _, err := f.v.Check(ctx, "req_2", code); !errors.Is(err, ErrMismatch) {
		t.Fatalf("same code, another request: %v", err)
	}
	// A code for an earlier step than the one accepted is refused too.
	if _, err := f.v.Check(ctx, "req_3", f.clk.code(t, f.secret, -Period)); !errors.Is(err, ErrMismatch) {
		t.Fatalf("earlier step after a later one: %v", err)
	}
	// The next step is fine.
	f.clk.add(Period)
	if _, err := f.v.Check(ctx, "req_4", f.clk.code(t, f.secret, 0)); err != nil {
		t.Fatalf("next step: %v", err)
	}
}

// A code that was already used says so, with the time until the app shows
// the next one, and still counts as a wrong code (a replay is what someone
// who saw the screen would try).
func TestUsedCodeSaysWhenTheNextComes(t *testing.T) {
	f := newFix(t) // 15 s into a step
	ctx := context.Background()
	code := f.clk.code(t, f.secret, 0)
	if _, err := f.v.Check(ctx, "req_1", code); err != nil {
		t.Fatal(err)
	}
	f.clk.add(3 * time.Second)
	_, err := f.v.Check(ctx, "req_2", code)
	var used *UsedError
	if !errors.As(err, &used) || !errors.Is(err, ErrMismatch) || !errors.Is(err, engine.ErrCodeReused) {
		t.Fatalf("reused code: %v", err)
	}
	if used.Next != 12*time.Second || err.Error() != "this code was already used; the next one comes in 12s" {
		t.Fatalf("next in %v: %q", used.Next, err)
	}
	st, _ := f.v.state(ctx, f.clk.now())
	if st.FailuresLastHour != 1 {
		t.Fatalf("a reused code counted %d failures, want 1", st.FailuresLastHour)
	}
	// The previous step's code, once the current one was used, is used too;
	// the new step's code works.
	f.clk.add(12 * time.Second)
	if _, err := f.v.Check(ctx, "req_3", code); !errors.Is(err, engine.ErrCodeReused) {
		t.Fatalf("the last step's used code a step later: %v", err)
	}
	if _, err := f.v.Check(ctx, "req_4", f.clk.code(t, f.secret, 0)); err != nil {
		t.Fatalf("the next code: %v", err)
	}
	// A wrong code is still just a mismatch.
	if _, err := f.v.Check(ctx, "req_5", "000000"); errors.Is(err, engine.ErrCodeReused) || !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong code: %v", err)
	}
}

// TestReplayAfterRestart: the last step comes from the ledger, so a new
// verifier (a restarted console) refuses it too.
func TestReplayAfterRestart(t *testing.T) {
	f := newFix(t)
	code := f.clk.code(t, f.secret, 0)
	f.st.st.LastStep = Step(f.clk.t)
	v2 := New(f.reg, f.st, f.j, f.clk.now)
	if _, err := v2.Check(context.Background(), "req_1", code); !errors.Is(err, ErrMismatch) {
		t.Fatalf("replay after restart: %v", err)
	}
}

func TestFormat(t *testing.T) {
	f := newFix(t)
	code := f.clk.code(t, f.secret, 0)
	if _, err := f.v.Check(context.Background(), "r", code[:3]+" "+code[3:]); err != nil {
		t.Fatalf("code with a space: %v", err)
	}
	for _, bad := range []string{"12345", "1234567", "12a456", "", "１２３４５６", "123-456"} {
		if _, err := f.v.Check(context.Background(), "r", bad); !errors.Is(err, ErrFormat) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if n := len(f.j.Records()); n != 0 {
		t.Fatalf("format errors recorded %d events", n)
	}
}

func TestLockAfterTenWrongCodesThenUnlock(t *testing.T) {
	f := newFix(t)
	ctx := context.Background()
	for i := 1; i < MaxFailuresPerHour; i++ {
		if _, err := f.v.Check(ctx, "req_x", "000000"); !errors.Is(err, ErrMismatch) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, err := f.v.Check(ctx, "req_x", "000000"); !errors.Is(err, ErrLocked) {
		t.Fatalf("10th wrong code: %v", err)
	}
	recs := f.j.Records()
	if len(recs) != 1 || recs[0].Kind != ledger.KindCodeLocked {
		t.Fatalf("records %+v", recs)
	}
	// The ledger now says locked; even a valid code is refused.
	f.st.st = State{Locked: true, LockedAt: f.clk.t, FailuresLastHour: 10}
	if _, err := f.v.Check(ctx, "req_y", f.clk.code(t, f.secret, 0)); !errors.Is(err, ErrLocked) {
		t.Fatalf("valid code while locked: %v", err)
	}
	if err := f.v.Unlock(ctx, f.clk.code(t, f.secret, 0)); !errors.Is(err, ErrCoolDown) {
		t.Fatalf("unlock during cool-down: %v", err)
	}
	f.clk.add(CoolDown)
	if err := f.v.Unlock(ctx, "111111"); !errors.Is(err, ErrMismatch) {
		t.Fatalf("unlock with a wrong code: %v", err)
	}
	if err := f.v.Unlock(ctx, f.clk.code(t, f.secret, 0)); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	last := f.j.Records()[len(f.j.Records())-1]
	if last.Kind != ledger.KindCodeUnlocked || last.Step != Step(f.clk.t) {
		t.Fatalf("unlock record %+v", last)
	}
	// The unlock consumed the step.
	f.st.st = State{LastStep: last.Step}
	if _, err := f.v.Check(ctx, "req_z", f.clk.code(t, f.secret, 0)); !errors.Is(err, ErrMismatch) {
		t.Fatalf("unlock code reused: %v", err)
	}
	if err := f.v.Unlock(ctx, f.clk.code(t, f.secret, Period)); !errors.Is(err, ErrNotLocked) {
		t.Fatalf("unlock when not locked: %v", err)
	}
}

// TestFailuresSurviveRestart: nine failures in the ledger plus one here lock.
func TestFailuresSurviveRestart(t *testing.T) {
	f := newFix(t)
	f.st.st.FailuresLastHour = MaxFailuresPerHour - 1
	if _, err := f.v.Check(context.Background(), "r", "000000"); !errors.Is(err, ErrLocked) {
		t.Fatalf("%v", err)
	}
}

func TestReenrolmentAndRevocation(t *testing.T) {
	f := newFix(t)
	ctx := context.Background()
	oldCode := f.clk.code(t, f.secret, 0)
	if _, err := f.reg.Revoke(f.dev.ID); err != nil {
		t.Fatal(err)
	}
	if f.v.Enrolled() {
		t.Fatal("still enrolled after revocation")
	}
	if _, err := f.v.Check(ctx, "r", oldCode); !errors.Is(err, ErrNotEnrolled) {
		t.Fatalf("after revocation: %v", err)
	}
	newSecret := []byte("jihgfedcba9876543210")
	if _, err := f.reg.CreateWithSecret(device.KindTOTP, "new phone", newSecret); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.Check(ctx, "r", oldCode); !errors.Is(err, ErrMismatch) {
		t.Fatalf("old secret's code after re-enrolment: %v", err)
	}
	if _, err := f.v.Check(ctx, "r", f.clk.code(t, newSecret, 0)); err != nil {
		t.Fatalf("new secret: %v", err)
	}
}

func TestConcurrentChecksAcceptAStepOnce(t *testing.T) {
	f := newFix(t)
	code := f.clk.code(t, f.secret, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := f.v.Check(context.Background(), "req", code); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("one code accepted %d times", ok)
	}
}

func TestNormalize(t *testing.T) {
	if c, err := Normalize(" 12 34 56 "); err != nil || c != "123456" {
		t.Fatalf("%q %v", c, err)
	}
	if strings.Contains(ErrLocked.Error(), "000000") {
		t.Fatal("error mentions a code")
	}
}
