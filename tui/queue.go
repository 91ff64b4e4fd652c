package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/ony-dev/ony-tui/engine"
)

// queue is the list of waiting requests. The selection follows a request
// id, so requests arriving or leaving never move it to another request
// silently: when the selected request itself goes away, moved is set and
// the next approval is refused until the person has seen the new one.
type queue struct {
	all      []engine.Request // in arrival order
	visible  []int            // indexes into all that pass the filter
	cursor   int              // index into visible
	offset   int              // first visible row shown
	selected string           // id of the selected request
	moved    bool             // the selection moved because its request went away
	filter   string           // session id substring; empty shows all
	rows     int              // rows the layout gives the list
}

// setRequests replaces the list, keeping the selection on the same request
// when it is still waiting.
func (q *queue) setRequests(reqs []engine.Request) {
	q.all = reqs
	q.refilter()
}

// setFilter shows only requests whose agent session id contains f.
func (q *queue) setFilter(f string) {
	q.filter = f
	q.refilter()
	q.moved = false // the person changed the view and sees the result
}

func (q *queue) refilter() {
	prev := q.selected
	q.visible = make([]int, 0, len(q.all))
	found := -1
	for i := range q.all {
		if q.filter != "" && !strings.Contains(q.all[i].Call.SessionID, q.filter) {
			continue
		}
		if q.all[i].ID == prev {
			found = len(q.visible)
		}
		q.visible = append(q.visible, i)
	}
	if found >= 0 {
		q.cursor = found
	}
	q.clamp()
	if prev != "" && q.selected != prev && q.selected != "" {
		q.moved = true
	}
}

// clamp keeps the cursor on a row, records the selected id and scrolls the
// cursor into view.
func (q *queue) clamp() {
	n := len(q.visible)
	q.cursor = max(0, min(q.cursor, n-1))
	if n == 0 {
		q.selected, q.moved = "", false
		q.offset = 0
		return
	}
	q.selected = q.all[q.visible[q.cursor]].ID
	rows := max(1, q.rows)
	if q.cursor < q.offset {
		q.offset = q.cursor
	}
	if q.cursor >= q.offset+rows {
		q.offset = q.cursor - rows + 1
	}
	q.offset = max(0, min(q.offset, n-rows))
}

// move moves the selection by delta rows (the person's own navigation).
func (q *queue) move(delta int) {
	q.cursor += delta
	q.moved = false
	q.clamp()
}

// moveTo selects row i of the visible list.
func (q *queue) moveTo(i int) {
	q.cursor = i
	q.moved = false
	q.clamp()
}

// setRows sets how many rows the layout gives the list.
func (q *queue) setRows(n int) {
	q.rows = n
	q.clamp()
}

// current returns the selected request.
func (q *queue) current() (engine.Request, bool) {
	if len(q.visible) == 0 {
		return engine.Request{}, false
	}
	return q.all[q.visible[q.cursor]], true
}

// rowAt maps a row on screen (0 = first list row) to a visible index.
func (q *queue) rowAt(row int) (int, bool) {
	i := q.offset + row
	if row < 0 || row >= q.rows || i >= len(q.visible) {
		return 0, false
	}
	return i, true
}

// requestTitle is what a request is called in lists and messages.
func requestTitle(r engine.Request) string {
	switch {
	case r.Class.Title != "":
		return r.Class.Title
	case r.Class.Action != "":
		return r.Class.Action
	}
	return r.Call.ToolName
}

// queueCols are the column widths of the list at one terminal width.
type queueCols struct {
	harness, session, title, target int
}

func newQueueCols(w int) queueCols {
	// marker 2, badge 4, age 4, left 5, four single spaces between them.
	const fixed = 2 + 4 + 1 + 4 + 1 + 5 + 1
	c := queueCols{session: 10}
	switch {
	case w >= 140:
		c.session, c.harness = 16, 8
	case w >= 100:
		c.session, c.harness = 12, 8
	case w >= 70:
		c.harness = 7
	}
	rest := w - fixed - c.session - 1
	if c.harness > 0 {
		rest -= c.harness + 1
	}
	c.title = max(4, rest*11/20)
	c.target = max(0, rest-c.title-1)
	return c
}

// header is the line naming the columns.
func (c queueCols) header() string {
	var b strings.Builder
	b.WriteString("  RISK  AGE  LEFT ")
	if c.harness > 0 {
		b.WriteString(fit("HARNESS", c.harness) + " ")
	}
	b.WriteString(fit("SESSION", c.session) + " " + fit("ACTION", c.title))
	if c.target > 0 {
		b.WriteString(" " + fit("TARGET", c.target))
	}
	return b.String()
}

// view renders the list panel in exactly h lines of at most w cells.
func (q *queue) view(st *Styles, now time.Time, w, h int, focused, kill bool) []string {
	lines := make([]string, 0, h)
	info := strconv.Itoa(len(q.all)) + " waiting"
	if q.filter != "" {
		info += " · session ~ \"" + q.filter + "\": " + strconv.Itoa(len(q.visible)) + " shown"
	}
	lines = append(lines, sectionTitle(st, "Pending", info, w, focused))
	cols := newQueueCols(w)
	if h >= 4 {
		lines = append(lines, st.Queue.Columns.Render(clip(cols.header(), w)))
	}
	if len(q.visible) == 0 {
		msg := "No request is waiting."
		switch {
		case kill:
			msg = "Kill switch engaged: every request is denied as it arrives."
		case q.filter != "" && len(q.all) > 0:
			msg = "No waiting request matches the session filter (esc clears it)."
		}
		lines = append(lines, st.Dim.Render(clip("  "+msg, w)))
	}
	for r := 0; r < q.rows && q.offset+r < len(q.visible) && len(lines) < h; r++ {
		i := q.offset + r
		lines = append(lines, q.row(st, q.all[q.visible[i]], now, cols, w, i == q.cursor))
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return lines
}

func (q *queue) row(st *Styles, r engine.Request, now time.Time, c queueCols, w int, sel bool) string {
	badge, bs := st.riskBadge(r.Class.Risk)
	left := r.Deadline.Sub(now)
	var b strings.Builder
	b.WriteString(alignRight(fmtAge(now.Sub(r.Arrived)), 4) + " ")
	b.WriteString(alignRight(fmtLeft(left), 5) + " ")
	if c.harness > 0 {
		b.WriteString(fit(r.Call.Harness, c.harness) + " ")
	}
	b.WriteString(fit(r.Call.SessionID, c.session) + " ")
	b.WriteString(fit(requestTitle(r), c.title))
	if c.target > 0 {
		b.WriteString(" " + fit(r.Class.Target, c.target))
	}
	rest := clip(b.String(), w-7)
	marker := "  "
	if sel {
		marker = "> "
	}
	line := marker + bs.Render(badge) + " "
	switch {
	case sel:
		line += st.Queue.Selected.Render(padRight(rest, w-7))
	case left < 30*time.Second && len(rest) >= 10:
		// The countdown column turns red in its last 30 seconds.
		ageW := 5
		line += rest[:ageW] + st.Queue.Urgent.Render(rest[ageW:ageW+5]) + rest[ageW+5:]
	default:
		line += rest
	}
	return line
}
