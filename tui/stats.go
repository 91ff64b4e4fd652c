package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/ony-dev/ony-tui/engine/stats"
	"github.com/ony-dev/ony-tui/internal/humanize"
)

// StatsSource gives the figures of what Ony has been deciding: the engine
// in this process (engine/stats.Source over its ledger) or the engine the
// console attached to (engine/console.Client, over the console socket).
// Either keeps running tallies, so asking again reads only new entries.
type StatsSource interface {
	Summary(ctx context.Context) (stats.Summary, error)
}

// StatsFunc adapts a function to StatsSource.
type StatsFunc func(ctx context.Context) (stats.Summary, error)

// Summary implements StatsSource.
func (f StatsFunc) Summary(ctx context.Context) (stats.Summary, error) { return f(ctx) }

const (
	// statsEvery is how often the open stats view asks for fresh figures.
	statsEvery = 2 * time.Second
	// statsTimeout bounds one computation: the first reads the whole
	// ledger.
	statsTimeout = 2 * time.Minute
)

// statsView is the page that replaces the panels while open: decisions
// per hour by risk, and the figures of the last 24 hours and of all time.
type statsView struct {
	open    bool
	gen     int // bumped on each open; answers to an earlier opening are dropped
	loading bool
	asked   time.Time // when the figures were last asked for
	sum     *stats.Summary
	err     error
}

// statsMsg carries figures (or why there are none) for the opening gen.
type statsMsg struct {
	gen int
	sum stats.Summary
	err error
}

// statsCmd computes the figures off the Update loop.
func statsCmd(ctx context.Context, src StatsSource, gen int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, statsTimeout)
		defer cancel()
		s, err := src.Summary(ctx)
		return statsMsg{gen: gen, sum: s, err: err}
	}
}

// openStats shows the stats page and asks for the figures.
func (m *Model) openStats() tea.Cmd {
	if m.deps.Stats == nil {
		m.setStatus(statusHint, "no ledger is attached to this console: no figures to show")
		return nil
	}
	m.stats.open = true
	m.stats.gen++
	return m.askStats()
}

// askStats asks for fresh figures.
func (m *Model) askStats() tea.Cmd {
	m.stats.loading, m.stats.asked = true, m.now()
	return statsCmd(m.ctx, m.deps.Stats, m.stats.gen)
}

// refreshStats asks again, on the clock's tick, while the page is open
// and the last answer is statsEvery old.
func (m *Model) refreshStats() tea.Cmd {
	if !m.stats.open || m.stats.loading || m.now().Sub(m.stats.asked) < statsEvery {
		return nil
	}
	return m.askStats()
}

func (m *Model) onStats(msg statsMsg) tea.Cmd {
	if !m.stats.open || msg.gen != m.stats.gen {
		return nil
	}
	m.stats.loading = false
	if msg.err != nil {
		m.stats.err = msg.err
	} else {
		m.stats.err, m.stats.sum = nil, &msg.sum
	}
	return nil
}

// keyStats handles keys while the stats page is open: it closes with s,
// esc or q; K still engages the kill switch; nothing decides from here.
func (m *Model) keyStats(k tea.KeyPressMsg) tea.Cmd {
	keys := &m.keys
	switch {
	case isCtrlC(k):
		m.stats.open = false
		return m.askQuit()
	case key.Matches(k, keys.Stats, keys.Cancel, keys.Quit):
		m.stats.open = false
	case key.Matches(k, keys.KillSwitch):
		if m.snap.KillSwitch {
			m.stats.open = false
			m.confirm = confirm{kind: confirmRelease}
			return nil
		}
		return m.engageKill()
	case key.Matches(k, keys.Approve, keys.Deny):
		m.setStatus(statusHint, "close the stats (s) to see and decide the requests")
	}
	return nil
}

// Glyphs of the chart's bars, by risk: the chart reads without colour.
const (
	glyphCrit = "█"
	glyphHigh = "▓"
	glyphMed  = "▒"
	glyphLow  = "░"
)

// statsLines renders the stats page in exactly h lines of at most w
// cells: a title, the chart of the last 24 hours, and the figures, as a
// table when there is room and in flowed lines when there is not.
func (sv *statsView) lines(st *Styles, w, h int) []string {
	out := make([]string, 0, h)
	info := "what Ony decided · s or esc to go back"
	if s := sv.sum; s != nil {
		info = "from " + humanize.Plural(s.Entries, "ledger entry", "ledger entries") + " · s or esc back"
	}
	out = append(out, sectionTitle(st, "Stats", info, w, true))
	switch {
	case sv.sum == nil && sv.err != nil:
		out = append(out, wrapStyled(st.Status.Error, "  no figures: "+sv.err.Error(), w)...)
	case sv.sum == nil:
		out = append(out, wrapStyled(st.Dim, "  reading the ledger… (the first time reads every entry: about a second per million)", w)...)
	default:
		s := sv.sum
		figs := figureLines(st, s, w, h-1)
		chartH := h - 1 - len(figs) - 2 // the legend and the time axis
		out = append(out, chartLines(st, s, w, min(chartH, 8))...)
		out = append(out, figs...)
		if sv.err != nil && len(out) < h {
			out = append(out, st.Status.Error.Render(clip("  refreshing failed: "+sv.err.Error(), w)))
		}
	}
	for len(out) < h {
		out = append(out, "")
	}
	return out[:h]
}

func wrapStyled(style lipgloss.Style, text string, w int) []string {
	var out []string
	for _, l := range wrapText(text, w) {
		out = append(out, style.Render(l))
	}
	return out
}

// chartLines draws the decisions of each of the last 24 hours as a
// stacked bar, low at the bottom and critical on top, rows tall, with a
// legend above and hour labels below. Each hour with any decision shows
// at least one cell.
func chartLines(st *Styles, s *stats.Summary, w, rows int) []string {
	if rows < 2 || len(s.Hours) == 0 {
		return nil
	}
	var peak uint64
	for _, hr := range s.Hours {
		peak = max(peak, hr.Total())
	}
	axisW := len(humanize.Count(peak)) + 1
	n := len(s.Hours)
	col := max(1, min(3, (w-axisW-1)/n))
	bar := max(1, col-1)
	if col == 1 {
		bar = 1
	}
	legend := "decisions per hour, last 24 h  " + st.Bars.Crit.Render(glyphCrit) + " crit " + st.Bars.High.Render(glyphHigh) + " high " +
		st.Bars.Med.Render(glyphMed) + " med " + st.Bars.Low.Render(glyphLow) + " low"
	out := []string{clip(legend, w)}
	// cells[i] lists hour i's cells bottom up, each a risk glyph.
	cells := make([][]string, n)
	for i, hr := range s.Hours {
		t := hr.Total()
		if t == 0 || peak == 0 {
			continue
		}
		height := max(1, int((t*uint64(rows)+peak-1)/peak))
		counts := []uint64{hr.Low, hr.Medium, hr.High, hr.Critical}
		styled := []string{st.Bars.Low.Render(glyphLow), st.Bars.Med.Render(glyphMed), st.Bars.High.Render(glyphHigh), st.Bars.Crit.Render(glyphCrit)}
		for ri, c := range apportion(counts, height) {
			for j := 0; j < c; j++ {
				cells[i] = append(cells[i], styled[ri])
			}
		}
	}
	for r := rows - 1; r >= 0; r-- {
		label := ""
		switch r {
		case rows - 1:
			label = humanize.Count(peak)
		case 0:
			label = "0"
		}
		var b strings.Builder
		b.WriteString(alignRight(label, axisW-1) + st.Dim.Render("┤"))
		for i := range cells {
			g := " "
			if r < len(cells[i]) {
				g = cells[i][r]
			}
			b.WriteString(strings.Repeat(g, bar) + strings.Repeat(" ", col-bar))
		}
		out = append(out, b.String())
	}
	// Hour labels under every sixth hour (every twelfth when narrow).
	step := 6
	if col == 1 {
		step = 12
	}
	axis := []rune(strings.Repeat(" ", axisW+n*col+6))
	for i := 0; i < n; i += step {
		lbl := []rune(s.Hours[i].Start.Format("15h"))
		at := axisW + i*col
		copy(axis[at:], lbl)
	}
	nowLbl := []rune("now")
	copy(axis[axisW+(n-1)*col:], nowLbl)
	out = append(out, st.Dim.Render(clip(strings.TrimRight(string(axis), " "), w)))
	return out
}

// apportion splits total cells between counts in proportion (largest
// remainder), giving each non-zero count at least one cell when there is
// room.
func apportion(counts []uint64, total int) []int {
	var sum uint64
	for _, c := range counts {
		sum += c
	}
	out := make([]int, len(counts))
	if sum == 0 || total <= 0 {
		return out
	}
	type rem struct {
		i int
		r uint64
	}
	var rems []rem
	given := 0
	for i, c := range counts {
		q := c * uint64(total) / sum
		out[i] = int(q)
		given += int(q)
		rems = append(rems, rem{i, c * uint64(total) % sum})
	}
	for given < total {
		best := -1
		for j, r := range rems {
			if counts[r.i] == 0 {
				continue
			}
			// Prefer a count with no cell yet, then the largest remainder.
			if best < 0 || (out[r.i] == 0 && out[rems[best].i] != 0) ||
				((out[r.i] == 0) == (out[rems[best].i] == 0) && r.r > rems[best].r) {
				best = j
			}
		}
		out[rems[best].i]++
		rems[best].r = 0
		given++
	}
	return out
}

// figureLines are the figures in at most room lines: a table of the last
// 24 hours beside all time when it fits, flowed text otherwise.
func figureLines(st *Styles, s *stats.Summary, w, room int) []string {
	if table := figureTable(st, s, w); len(table) <= room-5 && w >= 60 {
		return table
	}
	return figureFlow(st, s, w, room-3)
}

func pct(n, of uint64) string {
	if of == 0 {
		return "—"
	}
	return strconv.FormatUint((n*100+of/2)/of, 10) + "%"
}

func share(f float64) string { return strconv.Itoa(int(f*100+0.5)) + "%" }

// fmtWait is an answer time: 0.4s, 12s, 1m05s, 2h.
func fmtWait(m stats.Millis, n uint64) string {
	if n == 0 {
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

func topHeld(f *stats.Figures, w int) string {
	if len(f.TopHeld) == 0 {
		return "most held: nothing held"
	}
	parts := make([]string, 0, len(f.TopHeld))
	for _, a := range f.TopHeld {
		parts = append(parts, visible(a.Action, false)+" "+humanize.Count(a.Count))
	}
	return clip("most held: "+strings.Join(parts, " · "), w)
}

// figureTable is the figures as rows with a column for the last 24 hours
// and one for all time.
func figureTable(st *Styles, s *stats.Summary, w int) []string {
	d, a := &s.Day, &s.All
	labelW := 24
	colW := max(10, min(16, (w-labelW)/2))
	row := func(label, day, all string) string {
		return clip(padRight(label, labelW)+alignRight(day, colW)+alignRight(all, colW), w)
	}
	count := func(n uint64) string { return humanize.Count(n) }
	ofHeld := func(n, held uint64) string { return humanize.Count(n) + " " + pct(n, held) }
	lines := []string{
		st.Dim.Render(row("", "last 24 h", "all time")),
		row("decisions", count(d.Decisions), count(a.Decisions)),
		row("allowed automatically", share(d.AutoShare()), share(a.AutoShare())),
		row("held for a person", count(d.Held), count(a.Held)),
		row("  approved", ofHeld(d.Approved, d.Held), ofHeld(a.Approved, a.Held)),
		row("  denied", ofHeld(d.Denied, d.Held), ofHeld(a.Denied, a.Held)),
		row("  timed out", ofHeld(d.TimedOut, d.Held), ofHeld(a.TimedOut, a.Held)),
		row("denied by Ony", count(d.Blocked), count(a.Blocked)),
		row("answer time median", fmtWait(d.AnswerMedian, d.Answers), fmtWait(a.AnswerMedian, a.Answers)),
		row("answer time p90", fmtWait(d.AnswerP90, d.Answers), fmtWait(a.AnswerP90, a.Answers)),
		row("wrong codes", count(d.CodesFailed), count(a.CodesFailed)),
		topHeld(d, w),
	}
	return lines
}

// figureFlow is the figures of the last 24 hours in a few flowed lines,
// then all time in one, for small terminals.
func figureFlow(st *Styles, s *stats.Summary, w, room int) []string {
	d, a := &s.Day, &s.All
	sep := st.Dim.Render(" · ")
	segs := []string{
		st.Bold.Render("24 h:") + " " + humanize.Count(d.Decisions) + " decisions",
		share(d.AutoShare()) + " auto",
		humanize.Count(d.Held) + " held",
		"approved " + humanize.Count(d.Approved),
		"denied " + humanize.Count(d.Denied),
		"timed out " + humanize.Count(d.TimedOut),
		"denied by Ony " + humanize.Count(d.Blocked),
		"answer median " + fmtWait(d.AnswerMedian, d.Answers),
		"p90 " + fmtWait(d.AnswerP90, d.Answers),
	}
	if d.CodesFailed > 0 {
		segs = append(segs, humanize.Count(d.CodesFailed)+" wrong codes")
	}
	out := flow(segs, sep, w)
	out = append(out, topHeld(d, w))
	out = append(out, flow([]string{st.Bold.Render("all time:") + " " + humanize.Count(a.Decisions) + " decisions",
		share(a.AutoShare()) + " auto", humanize.Count(a.Held) + " held",
		"median " + fmtWait(a.AnswerMedian, a.Answers)}, sep, w)...)
	if len(out) > room {
		out = out[:max(0, room)]
	}
	return out
}
