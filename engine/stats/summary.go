package stats

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Summary is the picture a console or `ony-tui log --stats` shows: the
// last 24 hours hour by hour, and the figures of the last 24 hours and of
// all time. It travels over the console protocol (docs/PROTOCOL.md) and is
// the JSON of `log --stats --json` (docs/LEDGER-FORMAT.md §10).
type Summary struct {
	// Entries is how many ledger entries the figures are computed from;
	// Through is the seq of the last one.
	Entries uint64 `json:"entries"`
	Through uint64 `json:"through"`
	// At is the moment the last 24 hours end.
	At time.Time `json:"at"`
	// Hours are the last DayHours hours, oldest first: the decisions
	// made in each, by risk.
	Hours []Hour `json:"hours"`
	// Day is the last 24 hours; All is every entry read.
	Day Figures `json:"day"`
	All Figures `json:"all"`
}

// Hour is the decisions of one hour, by risk.
type Hour struct {
	Start    time.Time `json:"start"`
	Low      uint64    `json:"low"`
	Medium   uint64    `json:"medium"`
	High     uint64    `json:"high"`
	Critical uint64    `json:"critical"`
}

// Total is the hour's decisions.
func (h Hour) Total() uint64 { return h.Low + h.Medium + h.High + h.Critical }

// Figures are the counts of one period.
type Figures struct {
	// Decisions are the final answers given: allowed automatically,
	// approved or denied by a person, timed out, denied by Ony.
	Decisions uint64 `json:"decisions"`
	// ByRisk splits Decisions by the risk Ony derived.
	ByRisk RiskCounts `json:"by_risk"`
	// Auto were allowed by policy; Remembered were answered by an answer
	// given earlier for the same call.
	Auto       uint64 `json:"auto"`
	Remembered uint64 `json:"remembered"`
	// Held were held for a person; each ended approved, denied (by the
	// person), timed out, or denied by Ony (kill switch, hook gone...).
	Held     uint64 `json:"held"`
	Approved uint64 `json:"approved"`
	Denied   uint64 `json:"denied"`
	TimedOut uint64 `json:"timed_out"`
	// Blocked are denies Ony made itself: the kill switch, the policy, a
	// hook that went away, a console that stopped.
	Blocked     uint64 `json:"blocked"`
	CodesFailed uint64 `json:"codes_failed"`
	// Answers is how many held requests a person answered; AnswerMedian
	// and AnswerP90 are the time they took (0 with no answers), exact to
	// 0.1 s below 10 s, 1 s below 10 min and 1 min beyond.
	Answers      uint64 `json:"answers"`
	AnswerMedian Millis `json:"answer_median_ms"`
	AnswerP90    Millis `json:"answer_p90_ms"`
	// TopHeld are the actions held most often, most first.
	TopHeld []ActionCount `json:"top_held"`
}

// RiskCounts are decisions by risk.
type RiskCounts struct {
	Low      uint64 `json:"low"`
	Medium   uint64 `json:"medium"`
	High     uint64 `json:"high"`
	Critical uint64 `json:"critical"`
}

// ActionCount is how often an action was held.
type ActionCount struct {
	Action string `json:"action"`
	Count  uint64 `json:"count"`
}

// Millis is a duration carried as whole milliseconds.
type Millis int64

// Duration converts m.
func (m Millis) Duration() time.Duration { return time.Duration(m) * time.Millisecond }

// AutoShare is the share of decisions allowed automatically (policy or a
// remembered answer), 0..1; 0 when there were none.
func (f Figures) AutoShare() float64 {
	if f.Decisions == 0 {
		return 0
	}
	return float64(f.Auto+f.Remembered) / float64(f.Decisions)
}

// Summary returns the figures as of now: the last 24 hours end at now's
// hour (the hours are labelled in now's location).
func (t *Tally) Summary(now time.Time) Summary {
	s := Summary{Entries: t.entries, Through: t.last, At: now, All: figures(&t.all)}
	end := hourOf(now)
	var day bucket
	s.Hours = make([]Hour, 0, DayHours)
	for h := end - DayHours + 1; h <= end; h++ {
		hr := Hour{Start: time.Unix(h*3600, 0).In(now.Location())}
		if b := t.hours[h]; b != nil {
			hr.Low, hr.Medium, hr.High, hr.Critical = b.byRisk[0], b.byRisk[1], b.byRisk[2], b.byRisk[3]
			day.merge(b)
		}
		s.Hours = append(s.Hours, hr)
	}
	s.Day = figures(&day)
	return s
}

func figures(b *bucket) Figures {
	f := Figures{Decisions: b.decisions(),
		ByRisk: RiskCounts{Low: b.byRisk[0], Medium: b.byRisk[1], High: b.byRisk[2], Critical: b.byRisk[3]},
		Auto:   b.auto, Remembered: b.remembered, Held: b.held, Approved: b.approved, Denied: b.denied,
		TimedOut: b.timedOut, Blocked: b.blocked, CodesFailed: b.codesFailed, TopHeld: []ActionCount{}}
	if b.answers != nil {
		f.Answers = b.answers.n
		f.AnswerMedian = Millis(b.answers.quantile(0.5) / time.Millisecond)
		f.AnswerP90 = Millis(b.answers.quantile(0.9) / time.Millisecond)
	}
	for a, n := range b.heldActions {
		f.TopHeld = append(f.TopHeld, ActionCount{Action: a, Count: n})
	}
	sort.Slice(f.TopHeld, func(i, j int) bool {
		x, y := f.TopHeld[i], f.TopHeld[j]
		return x.Count > y.Count || (x.Count == y.Count && x.Action < y.Action)
	})
	if len(f.TopHeld) > TopActions {
		f.TopHeld = f.TopHeld[:TopActions]
	}
	return f
}

// Limits a Summary received from elsewhere (the console socket) must keep.
const (
	maxHours     = 2 * DayHours
	maxActionLen = 256
)

// Check reports whether s is a summary this build could have produced:
// bounded lists and strings, counts that add up. A console refuses any
// other, rather than draw from numbers that cannot be.
func (s *Summary) Check() error {
	if len(s.Hours) > maxHours {
		return fmt.Errorf("stats: %d hours, at most %d", len(s.Hours), maxHours)
	}
	for _, f := range []*Figures{&s.Day, &s.All} {
		if err := f.check(); err != nil {
			return err
		}
	}
	return nil
}

func (f *Figures) check() error {
	r := f.ByRisk
	switch {
	case r.Low+r.Medium+r.High+r.Critical != f.Decisions:
		return errors.New("stats: decisions by risk do not add up")
	case len(f.TopHeld) > TopActions:
		return fmt.Errorf("stats: %d top actions, at most %d", len(f.TopHeld), TopActions)
	case f.AnswerMedian < 0 || f.AnswerP90 < f.AnswerMedian:
		return errors.New("stats: answer times out of order")
	}
	for _, a := range f.TopHeld {
		if len(a.Action) > maxActionLen {
			return fmt.Errorf("stats: an action of %d bytes, at most %d", len(a.Action), maxActionLen)
		}
	}
	return nil
}
