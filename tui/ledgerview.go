package tui

import (
	"strings"

	"charm.land/bubbles/v2/progress"

	"github.com/ony-dev/ony-tui/internal/humanize"
)

// ledgerView is the live audit panel: the newest entries as the live
// verifier checked them, the chain status, and the progress of a
// whole-chain re-verification.
type ledgerView struct {
	attached bool // a Chain was given
	loaded   bool // at least one read succeeded
	entries  []ChainEntry
	err      error

	live   ChainStatus  // as the live verifier reports it
	rev    *ChainStatus // the last whole-chain re-verification, if any
	status ChainStatus  // what is shown: live, keeping a break re-verification found

	starting    bool         // a re-verification was asked for
	run         *reverifyRun // the running re-verification, if any
	done, total uint64
	bar         progress.Model
}

// setLive takes the live verifier's status.
func (l *ledgerView) setLive(s ChainStatus) {
	l.live = s
	l.merge()
}

// setReverified takes the outcome of a whole-chain re-verification. A break
// it finds stays shown, even if the live verifier does not see it, until a
// later re-verification finds the chain intact.
func (l *ledgerView) setReverified(s ChainStatus) {
	l.rev = &s
	l.merge()
}

func (l *ledgerView) merge() {
	st := l.live
	if r := l.rev; r != nil && r.Broken() && (!st.Broken() || r.BreakSeq < st.BreakSeq) {
		st.BreakSeq, st.BreakReason, st.AfterBreak, st.BreakMeaning = r.BreakSeq, r.BreakReason, r.AfterBreak, ""
		st.Verified = min(st.Verified, r.BreakSeq-1)
	}
	l.status = st
}

// broken reports whether entry e is at or after the first break.
func (l *ledgerView) broken(e ChainEntry) bool {
	return e.Broken || (l.status.Broken() && e.Seq >= l.status.BreakSeq)
}

func newLedgerView(attached bool, st *Styles) ledgerView {
	l := ledgerView{attached: attached, bar: progress.New(progress.WithFillCharacters('█', '░'))}
	l.setStyles(st)
	return l
}

func (l *ledgerView) setStyles(st *Styles) {
	l.bar.FullColor, l.bar.EmptyColor = st.ProgressFull, st.ProgressEmpty
	l.bar.PercentageStyle = st.Dim
}

// running reports whether a re-verification is under way.
func (l *ledgerView) running() bool { return l.run != nil }

// progressLine renders "re-verifying 412,000/1,000,000 ████░░ 41%" (or
// another verb).
func (l *ledgerView) progressLine(st *Styles, w int, verb string, done, total uint64) string {
	label := verb + " " + humanize.Count(done) + "/" + humanize.Count(total) + " "
	if total == 0 {
		label = verb + "… "
	}
	lw := len([]rune(label))
	if w-lw < 12 {
		return st.Status.Info.Render(clip(label, w))
	}
	var pct float64
	if total > 0 {
		pct = float64(done) / float64(total)
	}
	l.bar.SetWidth(w - lw)
	return st.Status.Info.Render(label) + l.bar.ViewAs(pct)
}

// summary is the chain status in a few words, for the header; the head
// hash only when wide.
func (l *ledgerView) summary(st *Styles, wide bool) []seg {
	switch {
	case !l.attached:
		return []seg{{st.Warn.Render("ledger not attached"), "", prioWarn}}
	case l.err != nil && !l.loaded:
		return []seg{{st.Bad.Render("ledger unreadable"), "", prioCritical}}
	case !l.loaded:
		return []seg{{st.Dim.Render("chain: reading…"), "", prioState}}
	}
	s := l.status
	var segs []seg
	if s.Broken() {
		segs = append(segs, seg{st.Bad.Render("chain ✗ BROKEN at " + seqLabel(s.BreakSeq)), "", prioCritical})
	} else {
		mark, style := "✓", st.Good
		if s.Verified < s.Entries {
			mark, style = "…", st.Warn
		}
		counts := humanize.Count(s.Verified) + "/" + humanize.Count(s.Entries)
		segs = append(segs, seg{style.Render("chain " + mark + " " + counts + " verified"), style.Render("chain " + mark + " " + counts), prioState})
	}
	if wide {
		segs = append(segs, seg{"head " + shortHash(s.Head), "", prioDetail})
	}
	switch {
	case strings.HasPrefix(s.Checkpoint, "checkpoint "): // a write failure or a problem
		segs = append(segs, seg{st.Bad.Render(s.Checkpoint), "", prioWarn})
	case s.Checkpoint != "":
		segs = append(segs, seg{s.Checkpoint, "", prioInfo})
	default:
		segs = append(segs, seg{st.Dim.Render("not signed yet"), "", prioInfo})
	}
	if l.err != nil {
		segs = append(segs, seg{st.Bad.Render("ledger read failed"), "", prioCritical})
	}
	return segs
}

// view renders the panel in exactly h lines of at most w cells: the title,
// a break or progress line when there is one, and the newest entries that
// fit, oldest first.
func (l *ledgerView) view(st *Styles, w, h int) []string {
	lines := make([]string, 0, h)
	info := "v re-verify"
	if l.loaded {
		info = humanize.Count(l.status.Entries) + " entries · v re-verify"
		if cp := l.status.Checkpoint; cp != "" {
			info = humanize.Count(l.status.Entries) + " entries · " + cp + " · v re-verify"
		}
	}
	lines = append(lines, sectionTitle(st, "Ledger", info, w, false))
	switch {
	case !l.attached:
		lines = append(lines, st.Dim.Render(clip("  No ledger attached to this console.", w)))
	case l.err != nil && !l.loaded:
		lines = append(lines, st.Bad.Render(clip("  ledger: "+l.err.Error(), w)))
	case !l.loaded:
		lines = append(lines, st.Dim.Render("  reading…"))
	}
	switch s := l.status; {
	case l.running() && len(lines) < h:
		lines = append(lines, l.progressLine(st, w, "re-verifying", l.done, l.total))
	case s.Checking && len(lines) < h:
		lines = append(lines, l.progressLine(st, w, "verifying entries before the checkpoint", s.CheckDone, s.CheckTotal))
	}
	if s := l.status; s.Broken() && len(lines) < h {
		msg := "✗ CHAIN BROKEN at " + seqLabel(s.BreakSeq)
		if s.BreakReason != "" {
			msg += ": " + s.BreakReason
		}
		if s.AfterBreak > 0 {
			msg += " · " + humanize.Count(s.AfterBreak) + " later entries no longer verify"
		}
		lines = append(lines, st.Ledger.Broken.Render(clip(msg, w)))
		// What a break found in the history before the checkpoint means,
		// in at most two lines.
		if s.BreakMeaning != "" {
			for i, m := range wrapText(s.BreakMeaning, w) {
				if i == 2 || len(lines) >= h-1 {
					break
				}
				lines = append(lines, st.Ledger.Broken.Render(m))
			}
		}
	}
	if s := l.status; s.CheckFailed != "" && len(lines) < h {
		lines = append(lines, st.Bad.Render(clip("✗ "+s.CheckFailed, w)))
	}
	room := h - len(lines)
	entries, hidden := l.window(room)
	for _, e := range entries {
		lines = append(lines, l.entryLine(st, e, w))
	}
	if hidden > 0 {
		lines = append(lines, st.Ledger.After.Render(clip("  … "+humanize.Count(hidden)+" later entries ✗ no longer verify", w)))
	}
	if len(entries) == 0 && l.loaded && room > 0 {
		lines = append(lines, st.Dim.Render("  no entries yet"))
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return lines[:h]
}

// window picks the entries that fit in room lines: the newest ones, or,
// when the break is among them, the entry before it, the break and what
// follows, with a line counting the later entries that do not fit.
func (l *ledgerView) window(room int) (shown []ChainEntry, hidden uint64) {
	e := l.entries
	if room <= 0 {
		return nil, 0
	}
	bi := -1
	if l.status.Broken() {
		for i := range e {
			if e[i].Seq == l.status.BreakSeq {
				bi = i
				break
			}
		}
	}
	if bi < 0 || len(e)-bi+1 <= room {
		if len(e) > room {
			e = e[len(e)-room:]
		}
		return e, 0
	}
	start := bi
	if room >= 3 {
		start = max(0, bi-1) // the last entry that still verifies
	}
	e = e[start:]
	if len(e) <= room || room < 2 {
		return e[:min(len(e), room)], 0
	}
	return e[:room-1], uint64(len(e) - (room - 1))
}

// shortKinds are the ledger's kinds in fewer cells, for narrow panes.
var shortKinds = map[string]string{
	"console-started": "started", "console-stopped": "stopped", "taxonomy-loaded": "taxonomy",
	"device-enrolled": "enrolled", "device-revoked": "revoked", "kill-engaged": "kill on",
	"kill-released": "kill off", "phone-placed": "call", "phone-answered": "answered",
	"phone-failed": "call fail", "phone-ended": "call end", "away-changed": "away", "code-unlocked": "unlocked",
	"chain-started": "new chain", "answer-forgotten": "forgot",
}

// outcome says how an entry ended, in a few words: the decision and who
// made it for a verdict ("approve · code", "deny · timeout"), "held" for
// a request held for a person, "wrong code" for a failed code.
func outcome(e ChainEntry) string {
	switch {
	case e.Decision != "" && e.By != "":
		return e.Decision + " · " + e.By
	case e.Decision != "":
		return e.Decision
	case e.Kind == "request":
		return "held"
	case e.Kind == "code-failed":
		return "wrong code"
	}
	return ""
}

// entryLine renders one entry: its number, kind, action, how it ended and
// who decided, and its place in the chain: "#0007 verdict  git.push.force
// approve · code  prev a6c17772 hash bdbb6397 ✓" (the previous hash only
// when there is room).
func (l *ledgerView) entryLine(st *Styles, e ChainEntry, w int) string {
	var mark string
	style := st.Ledger.OK
	broken := l.broken(e)
	switch {
	case broken && e.Seq == l.status.BreakSeq:
		mark, style = "✗ BREAK", st.Ledger.Broken
	case broken:
		mark, style = "✗ no longer verifies", st.Ledger.After
	case e.Verified:
		mark = "✓"
	default:
		mark, style = "? unchecked", st.Ledger.Unchecked
	}
	seq := seqLabel(e.Seq)
	kind, kindW := e.Kind, 15
	if w < 90 {
		if k, ok := shortKinds[kind]; ok {
			kind = k
		}
		kindW = 11
	}
	out := outcome(e)
	outW := 20
	hashes := " prev " + fit(shortHash(e.Prev), 8) + " hash " + fit(shortHash(e.Hash), 8) + " "
	// Columns are laid out for the widest short mark ("✗ BREAK"), so lines
	// align; a longer mark is cut at the edge.
	markW := max(7, ansiWidth(mark))
	actionW := func() int { return w - len(seq) - 1 - kindW - 1 - outW - 1 - len(hashes) - markW }
	if actionW() < 18 {
		hashes = " hash " + fit(shortHash(e.Hash), 8) + " "
	}
	if actionW() < 8 {
		hashes = " "
	}
	if actionW() < 6 {
		outW = max(0, min(outW, w-len(seq)-1-kindW-1-6-1-len(hashes)-markW))
	}
	if e.Note != "" && e.Decision == "approve" {
		// A remembered answer's entry names it when the pane has room
		// ("auto: remembered 14:02, session s-12" says it was approved).
		if n := ansiWidth(e.Note); w-len(seq)-1-kindW-1-n-1-len(hashes)-markW >= 8 {
			out, outW = e.Note, n
		}
	}
	var b strings.Builder
	b.WriteString(seq + " " + fit(kind, kindW) + " ")
	b.WriteString(fit(e.Action, max(1, min(actionW()+markW-7, 30)-(markW-7))) + " ")
	if outW > 0 {
		b.WriteString(fit(out, outW))
	}
	b.WriteString(hashes)
	text := clip(b.String()+mark, w)
	if broken || !e.Verified {
		return style.Render(text)
	}
	// Only the mark is coloured on a healthy entry.
	body := strings.TrimSuffix(text, mark)
	return body + style.Render(mark)
}
