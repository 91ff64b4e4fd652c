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

// summary is the chain status in a few words, for the header.
func (l *ledgerView) summary(st *Styles) []string {
	switch {
	case !l.attached:
		return []string{st.Warn.Render("ledger not attached")}
	case l.err != nil && !l.loaded:
		return []string{st.Bad.Render("ledger unreadable")}
	case !l.loaded:
		return []string{st.Dim.Render("chain: reading…")}
	}
	s := l.status
	var segs []string
	if s.Broken() {
		segs = append(segs, st.Bad.Render("chain ✗ BROKEN at "+seqLabel(s.BreakSeq)))
	} else {
		mark, style := "✓", st.Good
		if s.Verified < s.Entries {
			mark, style = "…", st.Warn
		}
		segs = append(segs, style.Render("chain "+mark+" "+humanize.Count(s.Verified)+"/"+humanize.Count(s.Entries)+" verified"))
	}
	segs = append(segs, "head "+shortHash(s.Head))
	if s.Checkpoint != "" {
		segs = append(segs, "checkpoint "+s.Checkpoint)
	} else {
		segs = append(segs, st.Dim.Render("no checkpoint yet"))
	}
	if l.err != nil {
		segs = append(segs, st.Bad.Render("ledger read failed"))
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

// entryLine renders "#0002 deploy.production prev a91c4e7f hash 5b0d3f12 ✓".
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
	label := e.Action
	if label == "" {
		label = e.Kind
	}
	switch {
	case e.Kind == "touch-requested" || e.Kind == "touch-failed":
		label += " " + e.Kind // not a verdict: the card was asked, or did not sign
	case e.Decision != "":
		label += " " + e.Decision
	}
	seq := seqLabel(e.Seq)
	hashes := " prev " + fit(shortHash(e.Prev), 8) + " hash " + fit(shortHash(e.Hash), 8) + " "
	labelW := w - len(seq) - 1 - len(hashes) - len([]rune(mark))
	var b strings.Builder
	b.WriteString(seq + " ")
	if labelW >= 8 {
		b.WriteString(fit(label, min(labelW, 30)))
		b.WriteString(hashes)
	} else {
		b.WriteString(fit(label, max(4, w-len(seq)-2-len([]rune(mark)))) + " ")
	}
	text := clip(b.String()+mark, w)
	if broken || !e.Verified {
		return style.Render(text)
	}
	// Only the mark is coloured on a healthy entry.
	body := strings.TrimSuffix(text, mark)
	return body + style.Render(mark)
}
