package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// Small text helpers shared by the views. They work on display cells, not
// bytes, and never split an escape sequence.

// fit truncates s to w cells (ending in …) and pads it with spaces to
// exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-sw)
}

// clip truncates s to at most w cells without padding.
func clip(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// padRight pads s with spaces to w cells; wider strings are truncated.
func padRight(s string, w int) string {
	sw := ansi.StringWidth(s)
	switch {
	case sw == w:
		return s
	case sw > w:
		return ansi.Truncate(s, w, "")
	}
	return s + strings.Repeat(" ", w-sw)
}

// alignRight right-aligns s in w cells.
func alignRight(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw >= w {
		return clip(s, w)
	}
	return strings.Repeat(" ", w-sw) + s
}

// wrapText wraps plain text to w cells, breaking long words, and keeps the
// text's own line breaks.
func wrapText(s string, w int) []string {
	if w < 1 {
		w = 1
	}
	return strings.Split(ansi.Wrap(s, w, ""), "\n")
}

// shortHash is the 8-hex-digit form of a hash, "genesis" for none.
func shortHash(h string) string {
	if strings.Trim(h, "0") == "" {
		return "genesis"
	}
	if len(h) > 8 {
		return h[:8]
	}
	return h
}

// seqLabel formats a ledger sequence number as #0004.
func seqLabel(seq uint64) string { return fmt.Sprintf("#%04d", seq) }

// fmtAge is how long ago something happened: 12s, 4m, 2h, 3d.
func fmtAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 24*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}

// fmtLeft is a countdown: 1:48, 0:05; over 100 minutes in hours.
func fmtLeft(d time.Duration) string {
	if d <= 0 {
		return "0:00"
	}
	secs := int((d + time.Second - 1) / time.Second) // round up: 0:00 only when it is over
	if secs >= 100*60 {
		return strconv.Itoa(secs/3600) + "h"
	}
	return fmt.Sprintf("%d:%02d", secs/60, secs%60)
}

// flow lays segments out on lines of at most w cells, separated by sep.
// A segment wider than a line is truncated.
func flow(segs []string, sep string, w int) []string {
	var lines []string
	var cur strings.Builder
	curW, sepW := 0, ansi.StringWidth(sep)
	for _, s := range segs {
		s = clip(s, w)
		sw := ansi.StringWidth(s)
		if curW > 0 && curW+sepW+sw > w {
			lines = append(lines, cur.String())
			cur.Reset()
			curW = 0
		}
		if curW > 0 {
			cur.WriteString(sep)
			curW += sepW
		}
		cur.WriteString(s)
		curW += sw
	}
	if curW > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// sectionTitle renders a panel's title line: "─ Title · info ─────".
func sectionTitle(st *Styles, title, info string, w int, focused bool) string {
	ts := st.Section.Title
	if focused {
		ts = st.Section.Focused
	}
	head := "─ " + title
	if focused {
		head = "▶ " + title
	}
	text := ts.Render(head)
	used := ansi.StringWidth(head)
	if info != "" && used+3 < w {
		info = clip(info, w-used-3)
		text += st.Dim.Render(" · " + info)
		used += 3 + ansi.StringWidth(info)
	}
	if used+1 < w {
		text += " " + st.Section.Rule.Render(strings.Repeat("─", w-used-1))
	}
	return text
}
