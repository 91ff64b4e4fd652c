package stats

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ony-dev/ony-tui/internal/humanize"
)

// Row is one line of the figures table: a label and the value for the
// last 24 hours and for all time, as text.
type Row struct {
	Label, Day, All string
}

// Rows are the figures of s as the console's stats page and `ony-tui log
// --stats` show them.
func (s *Summary) Rows() []Row {
	d, a := &s.Day, &s.All
	count := func(n uint64) string { return humanize.Count(n) }
	ofHeld := func(n, held uint64) string {
		if held == 0 {
			return humanize.Count(n)
		}
		return humanize.Count(n) + " " + Percent(n, held)
	}
	return []Row{
		{"decisions", count(d.Decisions), count(a.Decisions)},
		{"allowed automatically", Share(d.AutoShare()), Share(a.AutoShare())},
		{"held for a person", count(d.Held), count(a.Held)},
		{"  approved", ofHeld(d.Approved, d.Held), ofHeld(a.Approved, a.Held)},
		{"  denied", ofHeld(d.Denied, d.Held), ofHeld(a.Denied, a.Held)},
		{"  timed out", ofHeld(d.TimedOut, d.Held), ofHeld(a.TimedOut, a.Held)},
		{"denied by Ony", count(d.Blocked), count(a.Blocked)},
		{"answer time median", Wait(d.AnswerMedian, d.Answers), Wait(a.AnswerMedian, a.Answers)},
		{"answer time p90", Wait(d.AnswerP90, d.Answers), Wait(a.AnswerP90, a.Answers)},
		{"wrong codes", count(d.CodesFailed), count(a.CodesFailed)},
	}
}

// Percent is n of total as a whole percentage, "—" when total is 0.
func Percent(n, total uint64) string {
	if total == 0 {
		return "—"
	}
	return strconv.FormatUint((n*100+total/2)/total, 10) + "%"
}

// Share is a 0..1 share as a whole percentage.
func Share(f float64) string { return strconv.Itoa(int(f*100+0.5)) + "%" }

// Wait is an answer time: 0.4s, 12s, 1m05s, 2h; "—" with no answers.
func Wait(m Millis, answers uint64) string {
	if answers == 0 {
		return "—"
	}
	d := m.Duration()
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	return strconv.Itoa(int(d/time.Hour)) + "h"
}

// TopHeldText lists the most held actions: "git.push.force 24 ·
// deploy.production 12", or "nothing held". Action names are shown with
// any control character escaped.
func (f *Figures) TopHeldText() string {
	if len(f.TopHeld) == 0 {
		return "nothing held"
	}
	parts := make([]string, 0, len(f.TopHeld))
	for _, a := range f.TopHeld {
		parts = append(parts, printable(a.Action)+" "+humanize.Count(a.Count))
	}
	return strings.Join(parts, " · ")
}

func printable(s string) string {
	for _, r := range s {
		if !unicode.IsGraphic(r) || r == unicode.ReplacementChar {
			return strconv.QuoteToGraphic(s)
		}
	}
	return s
}

// Risk indexes the chart's risks, bottom of a bar first.
type Risk int

// Risks of the chart.
const (
	RiskLow Risk = iota
	RiskMedium
	RiskHigh
	RiskCritical
)

// Glyphs draw each risk's cells, so the chart reads without colour.
var Glyphs = [4]string{"░", "▒", "▓", "█"}

// Bars are the cells of each hour's bar, bottom up, for a chart rows
// high: each hour's height is its decisions against the busiest hour's,
// at least one cell when it had any, split between the risks in
// proportion (low at the bottom, critical on top). Peak is the busiest
// hour's decisions.
func (s *Summary) Bars(rows int) (bars [][]Risk, peak uint64) {
	for _, hr := range s.Hours {
		peak = max(peak, hr.Total())
	}
	bars = make([][]Risk, len(s.Hours))
	if rows <= 0 || peak == 0 {
		return bars, peak
	}
	for i, hr := range s.Hours {
		t := hr.Total()
		if t == 0 {
			continue
		}
		height := max(1, int((t*uint64(rows)+peak-1)/peak))
		for r, n := range Apportion([]uint64{hr.Low, hr.Medium, hr.High, hr.Critical}, height) {
			for j := 0; j < n; j++ {
				bars[i] = append(bars[i], Risk(r))
			}
		}
	}
	return bars, peak
}

// Apportion splits total cells between the risks' counts (low first):
// critical and high, when there were any, get a cell first (a risky hour
// must show, however busy it was otherwise), then the rest go in
// proportion to all counts (largest remainder).
func Apportion(counts []uint64, total int) []int {
	out := make([]int, len(counts))
	var sum uint64
	for _, c := range counts {
		sum += c
	}
	if sum == 0 || total <= 0 {
		return out
	}
	rest := total
	for i := len(counts) - 1; i >= 0 && i >= len(counts)-2 && rest > 0; i-- {
		if counts[i] > 0 {
			out[i]++
			rest--
		}
	}
	rems := make([]uint64, len(counts))
	given := 0
	for i, c := range counts {
		q := int(c * uint64(rest) / sum)
		out[i] += q
		given += q
		rems[i] = c * uint64(rest) % sum
	}
	for ; given < rest; given++ {
		best := 0
		for i := range counts {
			if rems[i] > rems[best] {
				best = i
			}
		}
		out[best]++
		rems[best] = 0
	}
	return out
}

// AxisLabels is the line under a chart whose hours are col cells wide,
// after an axis axisW cells wide: the hour under every step-th hour and
// "now" under the last.
func (s *Summary) AxisLabels(axisW, col, step int) string {
	n := len(s.Hours)
	axis := []rune(strings.Repeat(" ", axisW+n*col+4))
	for i := 0; i < n; i += step {
		copy(axis[axisW+i*col:], []rune(s.Hours[i].Start.Format("15h")))
	}
	if n > 0 {
		copy(axis[axisW+(n-1)*col:], []rune("now"))
	}
	return strings.TrimRight(string(axis), " ")
}

// WriteText prints s for a terminal or a file: the chart of the last 24
// hours in plain glyphs, then the figures table and the most held actions.
func (s *Summary) WriteText(w io.Writer) {
	fmt.Fprintf(w, "What Ony decided, from %s (to %s).\n\n", humanize.Plural(s.Entries, "ledger entry", "ledger entries"),
		s.At.Format("2006-01-02 15:04 MST"))
	const rows = 8
	bars, peak := s.Bars(rows)
	axisW := len(humanize.Count(peak)) + 1
	fmt.Fprintf(w, "decisions per hour, last 24 h   %s critical  %s high  %s medium  %s low\n",
		Glyphs[RiskCritical], Glyphs[RiskHigh], Glyphs[RiskMedium], Glyphs[RiskLow])
	for r := rows - 1; r >= 0; r-- {
		label := ""
		switch r {
		case rows - 1:
			label = humanize.Count(peak)
		case 0:
			label = "0"
		}
		var b strings.Builder
		b.WriteString(fmt.Sprintf("%*s┤", axisW-1, label))
		for _, bar := range bars {
			g := " "
			if r < len(bar) {
				g = Glyphs[bar[r]]
			}
			b.WriteString(g + g + " ")
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	fmt.Fprintln(w, s.AxisLabels(axisW, 3, 6))
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-24s%14s%14s\n", "", "last 24 h", "all time")
	for _, r := range s.Rows() {
		fmt.Fprintf(w, "%-24s%14s%14s\n", r.Label, r.Day, r.All)
	}
	fmt.Fprintf(w, "\nmost held, last 24 h: %s\nmost held, all time:  %s\n", s.Day.TopHeldText(), s.All.TopHeldText())
}
