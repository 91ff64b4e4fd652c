package tui

import (
	"context"
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
			m.confirm = confirm{kind: confirmRelease, touch: m.snap.RequireTouch.Valid()}
			return nil
		}
		return m.engageKill()
	case key.Matches(k, keys.Approve, keys.Deny):
		m.setStatus(statusHint, "close the stats (s) to see and decide the requests")
	}
	return nil
}

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
// stacked bar (stats.Summary.Bars), rows tall, each risk in its own glyph
// and colour, with a legend above and hour labels below.
func chartLines(st *Styles, s *stats.Summary, w, rows int) []string {
	if rows < 2 || len(s.Hours) == 0 {
		return nil
	}
	bars, peak := s.Bars(rows)
	axisW := len(humanize.Count(peak)) + 1
	n := len(s.Hours)
	col := max(1, min(3, (w-axisW-1)/n))
	bar := max(1, col-1)
	styles := [4]lipgloss.Style{st.Bars.Low, st.Bars.Med, st.Bars.High, st.Bars.Crit}
	glyph := func(r stats.Risk) string { return styles[r].Render(stats.Glyphs[r]) }
	legend := "decisions per hour, last 24 h  " + glyph(stats.RiskCritical) + " crit " + glyph(stats.RiskHigh) + " high " +
		glyph(stats.RiskMedium) + " med " + glyph(stats.RiskLow) + " low"
	out := []string{clip(legend, w)}
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
		for _, cells := range bars {
			g := " "
			if r < len(cells) {
				g = styles[cells[r]].Render(strings.Repeat(stats.Glyphs[cells[r]], bar))
			} else {
				g = strings.Repeat(" ", bar)
			}
			b.WriteString(g + strings.Repeat(" ", col-bar))
		}
		out = append(out, clip(b.String(), w))
	}
	step := 6
	if col == 1 {
		step = 12
	}
	out = append(out, st.Dim.Render(clip(s.AxisLabels(axisW, col, step), w)))
	return out
}

// figureLines are the figures in at most room lines: a table of the last
// 24 hours beside all time when it fits, flowed text otherwise.
func figureLines(st *Styles, s *stats.Summary, w, room int) []string {
	if table := figureTable(st, s, w); len(table)+4 <= room && w >= 60 {
		return table
	}
	return figureFlow(st, s, w, room-3)
}

// figureTable is the figures as rows with a column for the last 24 hours
// and one for all time.
func figureTable(st *Styles, s *stats.Summary, w int) []string {
	labelW := 24
	colW := max(10, min(16, (w-labelW)/2))
	row := func(label, day, all string) string {
		return clip(padRight(label, labelW)+alignRight(day, colW)+alignRight(all, colW), w)
	}
	lines := []string{st.Dim.Render(row("", "last 24 h", "all time"))}
	for _, r := range s.Rows() {
		lines = append(lines, row(r.Label, r.Day, r.All))
	}
	return append(lines, clip("most held: "+visible(s.Day.TopHeldText(), false), w))
}

// figureFlow is the figures of the last 24 hours in a few flowed lines,
// then all time in one, for small terminals.
func figureFlow(st *Styles, s *stats.Summary, w, room int) []string {
	d, a := &s.Day, &s.All
	sep := st.Dim.Render(" · ")
	segs := []string{
		st.Bold.Render("24 h:") + " " + humanize.Count(d.Decisions) + " decisions",
		stats.Share(d.AutoShare()) + " auto",
		humanize.Count(d.Held) + " held",
		"approved " + humanize.Count(d.Approved),
		"denied " + humanize.Count(d.Denied),
		"timed out " + humanize.Count(d.TimedOut),
		"denied by Ony " + humanize.Count(d.Blocked),
		"answer median " + stats.Wait(d.AnswerMedian, d.Answers),
		"p90 " + stats.Wait(d.AnswerP90, d.Answers),
	}
	if d.CodesFailed > 0 {
		segs = append(segs, humanize.Count(d.CodesFailed)+" wrong codes")
	}
	out := flow(segs, sep, w)
	out = append(out, clip("most held: "+visible(d.TopHeldText(), false), w))
	out = append(out, flow([]string{st.Bold.Render("all time:") + " " + humanize.Count(a.Decisions) + " decisions",
		stats.Share(a.AutoShare()) + " auto", humanize.Count(a.Held) + " held",
		"median " + stats.Wait(a.AnswerMedian, a.Answers)}, sep, w)...)
	if len(out) > room {
		out = out[:max(0, room)]
	}
	return out
}
