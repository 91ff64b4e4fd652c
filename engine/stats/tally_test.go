package stats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/ledger"
)

var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

// feed is a ledger being written: each entry gets the next seq.
type feed struct {
	t   *Tally
	seq uint64
	all []ledger.Entry
}

func newFeed() *feed { return &feed{t: NewTally()} }

func (f *feed) add(e ledger.Entry) {
	f.seq++
	e.Seq = f.seq
	f.all = append(f.all, e)
	f.t.Add(&e)
}

// held records a request held for a person at at, answered after wait by
// the given factors (a verdict), as the engine writes them.
func (f *feed) held(id, action, riskName string, at time.Time, wait time.Duration, decision string, factors []string, detail string) {
	f.add(ledger.Entry{Kind: ledger.KindRequest, RequestID: id, Action: action, Risk: riskName, Time: at})
	f.add(ledger.Entry{Kind: ledger.KindVerdict, RequestID: id, Action: action, Risk: riskName, Time: at.Add(wait),
		Decision: decision, Factors: factors, Detail: detail})
}

func (f *feed) auto(id, riskName string, at time.Time) {
	f.add(ledger.Entry{Kind: ledger.KindAutoAllow, RequestID: id, Action: "file.read", Risk: riskName, Time: at,
		Decision: "approve", Factors: []string{"auto"}, Detail: "allowed by policy: " + riskName + " risk"})
}

func TestTallyFigures(t *testing.T) {
	f := newFeed()
	at := t0
	for i := 0; i < 6; i++ {
		f.auto(fmt.Sprint("a", i), "low", at)
	}
	f.auto("a6", "medium", at)
	f.held("h1", "git.push.force", "critical", at, 4*time.Second, "approve", []string{"keypad", "totp"}, "approved by owner at the console with a 6-digit code")
	f.held("h2", "git.push.force", "critical", at, 12*time.Second, "deny", []string{"keypad"}, engine.ReasonDenied)
	f.held("h3", "deploy.production", "high", at, 2*time.Second, "approve", []string{"keypad"}, "approved by owner at the console")
	f.held("h4", "deploy.production", "high", at, 2*time.Minute, "deny", []string{}, engine.ReasonTimeout)
	f.held("h5", "unknown", "critical", at, 30*time.Second, "approve", []string{"phone", "totp"}, "approved by owner on the phone with a 6-digit code")
	f.add(ledger.Entry{Kind: ledger.KindCodeFailed, RequestID: "h1", Time: at, Detail: "wrong code 1 of 5: code does not match"})
	f.add(ledger.Entry{Kind: ledger.KindVerdict, RequestID: "k1", Action: "git.push", Risk: "high", Time: at, Decision: "deny",
		Factors: []string{}, Detail: engine.ReasonKillSwitch})
	f.add(ledger.Entry{Kind: ledger.KindConsoleStarted, Time: at})

	s := f.t.Summary(at.Add(time.Hour))
	want := Figures{Decisions: 13, ByRisk: RiskCounts{Low: 6, Medium: 1, High: 3, Critical: 3}, Auto: 7, Held: 5,
		Approved: 3, Denied: 1, TimedOut: 1, Blocked: 1, CodesFailed: 1, Answers: 4,
		AnswerMedian: 4000, AnswerP90: 30000,
		TopHeld: []ActionCount{{"deploy.production", 2}, {"git.push.force", 2}, {"unknown", 1}}}
	for name, got := range map[string]Figures{"all": s.All, "day": s.Day} {
		if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); g != w {
			t.Errorf("%s:\n got %s\nwant %s", name, g, w)
		}
	}
	if share := s.All.AutoShare(); share < 0.538 || share > 0.539 {
		t.Errorf("auto share %.4f, want 7/13", share)
	}
	if s.Entries != uint64(len(f.all)) || s.Through != f.seq {
		t.Errorf("entries %d through %d, want %d %d", s.Entries, s.Through, len(f.all), f.seq)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

// The chart covers the 24 hours ending at now; older hours count only in
// all time, and a tally keeps no more than keepHours of hour buckets.
func TestTallyHours(t *testing.T) {
	f := newFeed()
	for h := 0; h < 100; h++ {
		at := t0.Add(time.Duration(h) * time.Hour)
		f.auto(fmt.Sprint("a", h), "low", at)
		if h%10 == 0 {
			f.held(fmt.Sprint("h", h), "git.push", "high", at, time.Second, "approve", []string{"keypad"}, "")
		}
	}
	if n := len(f.t.hours); n > keepHours {
		t.Fatalf("%d hour buckets kept, at most %d", n, keepHours)
	}
	now := t0.Add(99*time.Hour + 30*time.Minute)
	s := f.t.Summary(now)
	if len(s.Hours) != DayHours {
		t.Fatalf("%d hours, want %d", len(s.Hours), DayHours)
	}
	if got, want := s.Hours[DayHours-1].Start, t0.Add(99*time.Hour); !got.Equal(want) {
		t.Errorf("last hour starts %v, want %v", got, want)
	}
	if s.Hours[0].Low != 1 || s.Hours[DayHours-10].High != 1 || s.Hours[DayHours-10].Total() != 2 {
		t.Errorf("hours: %+v", s.Hours)
	}
	// Hours 76..99 are the last 24; held every 10th: 80 and 90.
	if s.Day.Decisions != 26 || s.Day.Held != 2 || s.All.Decisions != 110 || s.All.Held != 10 {
		t.Errorf("day %+v\nall %+v", s.Day, s.All)
	}
	// A day later nothing is in the last 24 hours; all time is unchanged.
	s = f.t.Summary(now.Add(48 * time.Hour))
	if s.Day.Decisions != 0 || s.All.Decisions != 110 {
		t.Errorf("a day later: day %d all %d", s.Day.Decisions, s.All.Decisions)
	}
}

// Feeding a page again (a reader that re-reads after an error) counts
// nothing twice.
func TestTallyIgnoresRepeats(t *testing.T) {
	f := newFeed()
	f.held("h1", "git.push", "high", t0, time.Second, "approve", []string{"keypad"}, "")
	before := f.t.Summary(t0)
	for i := range f.all {
		f.t.Add(&f.all[i])
	}
	if after := f.t.Summary(t0); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("repeats counted:\n%+v\n%+v", before, after)
	}
}

func TestHistQuantiles(t *testing.T) {
	var h hist
	for _, d := range []time.Duration{300 * time.Millisecond, 1200 * time.Millisecond, 9 * time.Second, 45 * time.Second,
		11 * time.Minute, 3 * time.Hour} {
		h.add(d)
	}
	for q, want := range map[float64]time.Duration{0.1: 300 * time.Millisecond, 0.5: 9 * time.Second,
		0.6: 45 * time.Second, 0.8: 11 * time.Minute, 0.9: 2 * time.Hour, 1: 2 * time.Hour} {
		if got := h.quantile(q); got != want {
			t.Errorf("q%.1f = %v, want %v", q, got, want)
		}
	}
	for i := 0; i < histBuckets; i++ {
		if b := bucketOf(lowerBound(i)); b != i {
			t.Fatalf("bucket %d starts at %v, which falls in bucket %d", i, lowerBound(i), b)
		}
	}
	var empty *hist
	if empty.quantile(0.5) != 0 {
		t.Error("empty histogram")
	}
}

// Only so many distinct held actions are counted one by one: an agent
// that invents a new action name per call cannot grow the tally.
func TestTallyBoundsActions(t *testing.T) {
	f := newFeed()
	for i := 0; i < 3*maxActions; i++ {
		f.add(ledger.Entry{Kind: ledger.KindRequest, RequestID: fmt.Sprint("r", i), Action: fmt.Sprint("x.", i), Risk: "critical", Time: t0})
	}
	if n := len(f.t.all.heldActions); n > maxActions+1 {
		t.Fatalf("%d actions counted one by one", n)
	}
	s := f.t.Summary(t0)
	if s.All.TopHeld[0].Action != OtherAction || s.All.Held != 3*maxActions {
		t.Fatalf("%+v", s.All.TopHeld)
	}
}

// Check refuses summaries this build could not have produced.
func TestSummaryCheck(t *testing.T) {
	f := newFeed()
	f.held("h1", "git.push", "high", t0, time.Second, "approve", []string{"keypad"}, "")
	good := f.t.Summary(t0)
	b, _ := json.Marshal(good)
	for name, edit := range map[string]func(s *Summary){
		"risks do not add up": func(s *Summary) { s.All.ByRisk.High++ },
		"too many hours":      func(s *Summary) { s.Hours = make([]Hour, maxHours+1) },
		"too many actions":    func(s *Summary) { s.Day.TopHeld = make([]ActionCount, TopActions+1) },
		"long action":         func(s *Summary) { s.Day.TopHeld = []ActionCount{{strings.Repeat("a", maxActionLen+1), 1}} },
		"p90 below median":    func(s *Summary) { s.All.AnswerMedian, s.All.AnswerP90 = 5, 4 },
	} {
		var s Summary
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		if err := s.Check(); err != nil {
			t.Fatalf("the good summary: %v", err)
		}
		edit(&s)
		if err := s.Check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestApportion(t *testing.T) {
	for _, tc := range []struct {
		counts []uint64
		total  int
		want   string
	}{
		{[]uint64{10, 0, 0, 1}, 4, "[3 0 0 1]"},
		{[]uint64{1, 1, 1, 1}, 2, "[0 0 1 1]"}, // critical and high first
		{[]uint64{5, 5, 0, 0}, 3, "[2 1 0 0]"},
		{[]uint64{0, 0, 0, 0}, 3, "[0 0 0 0]"},
		{[]uint64{100, 1, 1, 1}, 3, "[1 0 1 1]"},
		{[]uint64{3, 3, 3, 3}, 8, "[2 2 2 2]"},
		{[]uint64{0, 0, 0, 7}, 5, "[0 0 0 5]"},
	} {
		if got := fmt.Sprint(Apportion(tc.counts, tc.total)); got != tc.want {
			t.Errorf("Apportion(%v, %d) = %s, want %s", tc.counts, tc.total, got, tc.want)
		}
	}
}

// A long catch-up reads pages in parallel and still feeds every entry once,
// in order, whether the seqs are contiguous or have gaps (a damaged
// ledger), and whatever the number of readers.
func TestCatchUpParallel(t *testing.T) {
	for _, gaps := range []bool{false, true} {
		var all []ledger.Entry
		seq := uint64(0)
		for i := 0; i < 3*page+1234; i++ {
			seq++
			if gaps && i%777 == 0 {
				seq += 5
			}
			all = append(all, ledger.Entry{Seq: seq, Kind: ledger.KindAutoAllow, Risk: "low", Time: t0, Factors: []string{"auto"}, Decision: "approve"})
		}
		read := func(_ context.Context, after uint64, limit int) ([]ledger.Entry, error) {
			i := sort.Search(len(all), func(i int) bool { return all[i].Seq > after })
			return all[i:min(len(all), i+limit)], nil
		}
		for _, n := range []int{1, 2, 3, 4} {
			tl := NewTally()
			first, _ := read(context.Background(), 0, page)
			for i := range first {
				tl.Add(&first[i])
			}
			if err := catchUpParallel(context.Background(), tl, read, n); err != nil {
				t.Fatal(err)
			}
			if tl.Entries() != uint64(len(all)) || tl.Last() != all[len(all)-1].Seq || tl.Summary(t0).All.Auto != uint64(len(all)) {
				t.Fatalf("gaps %v, %d readers: %d entries through %d", gaps, n, tl.Entries(), tl.Last())
			}
		}
	}
	// A failing read is an error, not a silent short count.
	tl := NewTally()
	err := CatchUp(context.Background(), tl, func(_ context.Context, after uint64, limit int) ([]ledger.Entry, error) {
		if after > 0 {
			return nil, errors.New("disk I/O error")
		}
		out := make([]ledger.Entry, limit)
		for i := range out {
			out[i] = ledger.Entry{Seq: uint64(i + 1), Kind: ledger.KindConsoleStarted, Time: t0}
		}
		return out, nil
	})
	if err == nil || !strings.Contains(err.Error(), "disk I/O error") {
		t.Fatalf("err %v", err)
	}
}
