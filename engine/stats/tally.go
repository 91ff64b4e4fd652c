package stats

import (
	"time"

	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/ledger"
)

// Limits that keep a Tally's memory flat whatever the ledger's size.
const (
	// keepHours is how many hours of per-hour figures a Tally keeps; older
	// hours live on only in the all-time figures.
	keepHours = 48
	// maxOpen bounds the held requests waiting for their verdict that a
	// Tally remembers (a request waits minutes; one whose verdict never
	// came, after a crash, is forgotten after openFor: no request waits
	// longer than the longest hook deadline, 2 h).
	maxOpen = 10_000
	openFor = 3 * time.Hour
	// maxActions bounds the distinct held actions counted per hour and in
	// all; further actions count as "other".
	maxActions = 1024
	// TopActions is how many of the most held actions a Summary lists.
	TopActions = 5
	// DayHours is the number of hours a Summary's chart covers.
	DayHours = 24
)

// OtherAction stands for actions past the per-bucket limit.
const OtherAction = "(other)"

// bucket is the figures of one hour, or of all time.
type bucket struct {
	byRisk      [4]uint64 // decisions by risk: low, medium, high, critical
	auto        uint64
	remembered  uint64
	held        uint64
	approved    uint64
	denied      uint64
	timedOut    uint64
	blocked     uint64 // denied by Ony itself (kill switch, policy, hook gone...)
	codesFailed uint64
	answers     *hist // time to a human answer; nil when none
	heldActions map[string]uint64
}

func (b *bucket) decisions() uint64 {
	return b.byRisk[0] + b.byRisk[1] + b.byRisk[2] + b.byRisk[3]
}

func (b *bucket) addAnswer(d time.Duration) {
	if b.answers == nil {
		b.answers = &hist{}
	}
	b.answers.add(d)
}

func (b *bucket) addHeld(action string) {
	if b.heldActions == nil {
		b.heldActions = map[string]uint64{}
	}
	if _, ok := b.heldActions[action]; !ok && len(b.heldActions) >= maxActions {
		action = OtherAction
	}
	b.heldActions[action]++
}

// merge adds o's figures to b.
func (b *bucket) merge(o *bucket) {
	for i := range b.byRisk {
		b.byRisk[i] += o.byRisk[i]
	}
	b.auto += o.auto
	b.remembered += o.remembered
	b.held += o.held
	b.approved += o.approved
	b.denied += o.denied
	b.timedOut += o.timedOut
	b.blocked += o.blocked
	b.codesFailed += o.codesFailed
	if o.answers != nil {
		if b.answers == nil {
			b.answers = &hist{}
		}
		b.answers.merge(o.answers)
	}
	for a, n := range o.heldActions {
		if b.heldActions == nil {
			b.heldActions = map[string]uint64{}
		}
		b.heldActions[a] += n
	}
}

// held is a request waiting for a person, as its request entry recorded it.
type heldReq struct {
	at   time.Time
	hour int64
}

// Tally keeps running figures over ledger entries fed in order. It is not
// safe for concurrent use; Source serialises it.
type Tally struct {
	all     bucket
	hours   map[int64]*bucket // hour index (Unix seconds / 3600) → figures
	newest  int64             // the newest hour index seen
	open    map[string]heldReq
	entries uint64
	last    uint64 // the last seq added
}

// NewTally returns an empty tally.
func NewTally() *Tally {
	return &Tally{hours: map[int64]*bucket{}, open: map[string]heldReq{}}
}

// Last is the seq of the last entry added; 0 before any.
func (t *Tally) Last() uint64 { return t.last }

// Entries is how many entries were added.
func (t *Tally) Entries() uint64 { return t.entries }

func hourOf(ts time.Time) int64 {
	s := ts.Unix()
	h := s / 3600
	if s < 0 && s%3600 != 0 {
		h--
	}
	return h
}

// bucketFor returns the hour's bucket, or nil for an hour too old to keep.
func (t *Tally) bucketFor(h int64) *bucket {
	if h > t.newest {
		t.newest = h
		for k := range t.hours {
			if k <= h-keepHours {
				delete(t.hours, k)
			}
		}
		for id, r := range t.open {
			if r.hour <= h-int64(openFor/time.Hour) {
				delete(t.open, id)
			}
		}
	}
	if h <= t.newest-keepHours {
		return nil
	}
	b := t.hours[h]
	if b == nil {
		b = &bucket{}
		t.hours[h] = b
	}
	return b
}

// Add counts one entry. Entries must come in ledger order; one at or
// before the last added is ignored, so feeding an overlapping page twice
// counts nothing twice.
func (t *Tally) Add(e *ledger.Entry) {
	if e.Seq != 0 && e.Seq <= t.last {
		return
	}
	t.last = max(t.last, e.Seq)
	t.entries++
	h := hourOf(e.Time)
	hb := t.bucketFor(h)
	each := func(f func(b *bucket)) {
		f(&t.all)
		if hb != nil {
			f(hb)
		}
	}
	switch e.Kind {
	case ledger.KindRequest:
		each(func(b *bucket) { b.held++; b.addHeld(e.Action) })
		if e.RequestID != "" && len(t.open) < maxOpen {
			t.open[e.RequestID] = heldReq{at: e.Time, hour: h}
		}
	case ledger.KindCodeFailed:
		each(func(b *bucket) { b.codesFailed++ })
	case ledger.KindAutoAllow, ledger.KindVerdict:
		t.addDecision(e, each)
	}
}

func (t *Tally) addDecision(e *ledger.Entry, each func(func(*bucket))) {
	ri := riskIndex(e.Risk)
	each(func(b *bucket) { b.byRisk[ri]++ })
	d := DeciderOf(e)
	req, wasHeld := t.open[e.RequestID]
	if wasHeld {
		delete(t.open, e.RequestID)
	}
	switch {
	case d == ByAuto:
		each(func(b *bucket) { b.auto++ })
	case d == ByRemembered && e.Decision == "approve":
		each(func(b *bucket) { b.remembered++ })
	case d == ByTimeout:
		each(func(b *bucket) { b.timedOut++ })
	case d.Human() && e.Decision == "approve":
		each(func(b *bucket) { b.approved++ })
	case d.Human():
		each(func(b *bucket) { b.denied++ })
	default:
		each(func(b *bucket) { b.blocked++ })
	}
	if wasHeld && d.Human() {
		if wait := e.Time.Sub(req.at); wait >= 0 {
			each(func(b *bucket) { b.addAnswer(wait) })
		}
	}
}

// riskIndex maps a recorded risk to 0..3; anything unknown counts as
// critical, as the policy treats it.
func riskIndex(s string) int {
	l, err := risk.Parse(s)
	if err != nil {
		return 3
	}
	return int(l) - int(risk.Low)
}
