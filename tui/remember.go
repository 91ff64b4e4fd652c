package tui

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/config"
	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/risk"
)

// The remember dialog (R on a held request): the choices that fit the
// request, each of which approves it too. Remembering a critical request
// asks for the 6-digit code in the dialog; the engine checks it, and
// refuses what can never be remembered whatever the console sends.

// rememberChoice is one line of the dialog: a standing answer's scope, or
// classify (scope 0).
type rememberChoice struct {
	scope engine.Scope
	label string
}

// classifying reports whether the choice classifies the program.
func (c rememberChoice) classifying() bool { return c.scope == 0 }

// rememberPhase is where the dialog is.
type rememberPhase int

const (
	rememberChoosing rememberPhase = iota
	rememberClassify               // classify: the risk and the title
	rememberCode                   // the choice needs the 6-digit code
)

// classifyRisks are the risks a program can be classified at.
var classifyRisks = []risk.Level{risk.Low, risk.Medium, risk.High}

// rememberDialog is the remember dialog's state.
type rememberDialog struct {
	open    bool
	req     engine.Request
	choices []rememberChoice
	sel     int
	phase   rememberPhase
	input   lineInput // the code, masked
	title   lineInput // classify: the rule's title
	risk    int       // classify: index in classifyRisks
	err     string
	busy    bool
	// touch: approvals.require_touch applies to the request, so the
	// approval that remembers it is signed on the YubiKey.
	touch bool
}

func newRememberDialog(st *Styles) rememberDialog {
	return rememberDialog{input: lineInput{Prompt: "code: ", Mask: '•', CharLimit: codeDigits, Styles: st.Input},
		title: lineInput{Prompt: "title: ", CharLimit: 120, Styles: st.Input}}
}

// choice is the selected choice.
func (d *rememberDialog) choice() rememberChoice { return d.choices[d.sel] }

// rememberChoices are the choices that fit r.
func rememberChoices(r engine.Request) []rememberChoice {
	cs := []rememberChoice{{engine.ScopeCall, "this exact call, for this agent session"}}
	if r.Class.Target != "" && r.Class.Action != "unknown" {
		cs = append(cs, rememberChoice{engine.ScopeTarget, r.Class.Action + " on " + r.Class.Target + ", for this session"})
	}
	if r.Class.Program != "" {
		cs = append(cs, rememberChoice{0, "classify the program " + r.Class.Program + ", from now on"})
	}
	return cs
}

// needsCode reports whether remembering r needs the 6-digit code.
func rememberNeedsCode(r engine.Request) bool {
	return r.Class.Risk.OrCritical() == risk.Critical || r.Need == config.ApproveCode
}

func (d *rememberDialog) openFor(r engine.Request) {
	*d = rememberDialog{open: true, req: r, choices: rememberChoices(r), input: d.input, title: d.title, risk: 1}
	d.input.Reset()
	d.input.Blur()
	d.title.Reset()
	d.title.Blur()
}

func (d *rememberDialog) close() {
	d.input.Reset()
	d.input.Blur()
	d.title.Reset()
	d.title.Blur()
	*d = rememberDialog{input: d.input, title: d.title}
}

// remember opens the dialog on the selected request, or says why not.
func (m *Model) remember() tea.Cmd {
	r, ok := m.decidable()
	switch {
	case !ok:
		return nil
	case m.snap.KillSwitch:
		m.setStatus(statusHint, "the kill switch is engaged: nothing can be approved or remembered")
		return nil
	case engine.Protected(r.Class.Action):
		m.addErr("\"" + requestTitle(r) + "\" (" + r.Class.Action + ") can never be remembered: it touches Ony itself or an agent's hook configuration, so it is asked every time")
		return nil
	case r.Call.SessionID == "":
		m.addErr("\"" + requestTitle(r) + "\" names no agent session: there is nothing to remember it for")
		return nil
	case touchRequired(m, r) && len(m.snap.YubiKeys) == 0:
		m.addErr("\"" + requestTitle(r) + "\" needs a YubiKey touch (approvals.require_touch: " + m.snap.RequireTouch.String() + ") and no YubiKey is enrolled: run `ony-tui enroll yubikey`")
		return nil
	case touchRequired(m, r) && needsPIN(m.snap.YubiKeys):
		// The dialog has no PIN entry: Y has.
		m.addErr("\"" + requestTitle(r) + "\" needs a touch on a YubiKey whose PIN policy asks for the PIN: the remember dialog cannot ask for it; approve it with Y")
		return nil
	case rememberNeedsCode(r) && !m.snap.CodeEnrolled:
		m.addErr("remembering \"" + requestTitle(r) + "\" needs the 6-digit code and no code device is enrolled: run `ony-tui enroll totp`")
		return nil
	}
	m.rememberDlg.openFor(r)
	m.rememberDlg.touch = touchRequired(m, r)
	return nil
}

// touchRequired reports whether approvals.require_touch applies to r.
func touchRequired(m *Model, r engine.Request) bool {
	return (config.Config{RequireTouch: m.snap.RequireTouch}).TouchRequired(r.Class.Risk)
}

func (m *Model) keyRemember(k tea.KeyPressMsg) tea.Cmd {
	d := &m.rememberDlg
	switch {
	case isCtrlC(k):
		d.close()
		return m.askQuit()
	case key.Matches(k, m.keys.KillSwitch):
		d.close()
		return m.engageKill()
	case key.Matches(k, m.keys.Cancel):
		d.close()
		m.setStatus(statusInfo, "backed out: nothing was remembered or decided")
		return nil
	case d.busy:
		return nil
	}
	if d.phase == rememberClassify {
		switch {
		case k.String() == "tab":
			d.risk = (d.risk + 1) % len(classifyRisks)
			return nil
		case k.String() == "shift+tab":
			d.risk = (d.risk + len(classifyRisks) - 1) % len(classifyRisks)
			return nil
		case key.Matches(k, m.keys.Submit):
			if strings.TrimSpace(d.title.Value()) == "" {
				d.err = "a title is needed: what does this program do?"
				return nil
			}
			d.title.Blur()
			d.phase, d.err = rememberCode, ""
			d.input.Reset()
			return d.input.Focus()
		}
		d.err = ""
		var cmd tea.Cmd
		d.title, cmd = d.title.Update(k)
		return cmd
	}
	if d.phase == rememberCode {
		if key.Matches(k, m.keys.Submit) {
			v := d.input.Value()
			if len(v) != codeDigits {
				d.err = "a code is 6 digits"
				return nil
			}
			return m.sendRemember(v)
		}
		if k.Text != "" && !allDigits(k.Text) {
			d.err = "digits only"
			return nil
		}
		d.err = ""
		var cmd tea.Cmd
		d.input, cmd = d.input.Update(k)
		return cmd
	}
	switch {
	case key.Matches(k, m.keys.Up):
		d.sel = max(0, d.sel-1)
	case key.Matches(k, m.keys.Down):
		d.sel = min(len(d.choices)-1, d.sel+1)
	case len(k.Text) == 1 && k.Text[0] >= '1' && int(k.Text[0]-'1') < len(d.choices):
		d.sel = int(k.Text[0] - '1')
		return m.chooseRemember()
	case key.Matches(k, m.keys.Submit):
		return m.chooseRemember()
	}
	return nil
}

// chooseRemember takes the selected choice: it asks for the code when it
// needs one, and otherwise sends it.
func (m *Model) chooseRemember() tea.Cmd {
	d := &m.rememberDlg
	if d.choice().classifying() {
		d.phase, d.err = rememberClassify, ""
		d.title.SetValue("Run " + d.req.Class.Program)
		return d.title.Focus()
	}
	if rememberNeedsCode(d.req) {
		d.phase, d.err = rememberCode, ""
		d.input.Reset()
		return d.input.Focus()
	}
	return m.sendRemember("")
}

func (m *Model) sendRemember(code string) tea.Cmd {
	d := &m.rememberDlg
	d.busy, d.err = true, ""
	m.inflight = d.req.ID
	m.noteOwn(d.req.ID)
	via := device.KindConsole
	if d.touch {
		via = device.KindYubiKey
		m.setStatus(statusHint, "touch your YubiKey to approve and remember \""+requestTitle(d.req)+"\"…")
	}
	if d.choice().classifying() {
		return classifyCmd(m.ctx, m.snapper, d.req, classifyRisks[d.risk], strings.TrimSpace(d.title.Value()), code, m.deps.Label, via)
	}
	return rememberCmd(m.ctx, m.snapper, d.req, d.choice().scope, code, m.deps.Label, via)
}

// onRemembered shows the outcome of a remember.
func (m *Model) onRemembered(msg rememberedMsg) tea.Cmd {
	m.inflight = ""
	if m.own.id == msg.id {
		m.own, m.ownMoved = ownDecision{}, false
	}
	cmd := m.applySnapshot(msg.snap)
	d := &m.rememberDlg
	mine := d.open && d.req.ID == msg.id
	if msg.err == nil {
		if mine {
			d.close()
		}
		if msg.rule.ID != "" {
			m.setStatus(statusSuccess, "approved ✓; "+strings.Join(msg.rule.Programs, ", ")+" is now "+msg.rule.Risk.String()+" ("+msg.rule.ID+", "+filepath.Base(msg.rule.File)+":"+strconv.Itoa(msg.rule.Line)+")")
			return cmd
		}
		m.setStatus(statusSuccess, "approved ✓ and remembered as "+msg.answer.ID+": "+msg.answer.Describe())
		return cmd
	}
	if _, still := m.pendingByID(msg.id); mine && still && (errors.Is(msg.err, engine.ErrBadCode) || errors.Is(msg.err, engine.ErrCodeRequired)) {
		d.busy, d.err = false, msg.err.Error()
		d.phase = rememberCode
		d.input.Reset()
		return tea.Batch(cmd, d.input.Focus())
	}
	if mine {
		d.close()
	}
	m.addErr("remembering \"" + msg.title + "\": " + msg.err.Error())
	return cmd
}

// view renders the dialog box, w cells wide at most.
func (d *rememberDialog) view(st *Styles, w int) string {
	inner := max(20, min(60, w-4))
	badge, bs := st.riskBadge(d.req.Class.Risk)
	lines := []string{
		st.Modal.Title.Render("Remember and approve"),
		"",
		bs.Render(badge) + " " + st.Bold.Render(clip(requestTitle(d.req), inner-len(badge)-1)),
		st.Dim.Render(clip("session "+orDash(d.req.Call.SessionID)+" · "+d.req.Call.Harness, inner)),
		"",
	}
	for i, c := range d.choices {
		mark := "  "
		line := clip(string(rune('1'+i))+" "+c.label, inner-2)
		if i == d.sel {
			mark = "▸ "
			line = st.Bold.Render(line)
		}
		lines = append(lines, mark+line)
	}
	if d.phase == rememberChoosing || !d.choice().classifying() {
		lines = append(lines, "")
	}
	if d.phase == rememberClassify || d.phase == rememberCode && d.choice().classifying() {
		var rs []string
		for i, r := range classifyRisks {
			if i == d.risk {
				rs = append(rs, st.Bold.Render("["+r.String()+"]"))
			} else {
				rs = append(rs, st.Dim.Render(r.String()))
			}
		}
		lines = append(lines, "risk: "+strings.Join(rs, " "), d.title.View())
	}
	if d.phase == rememberCode {
		lines = append(lines, d.input.View())
	}
	switch {
	case d.busy && d.touch:
		lines = append(lines, st.Warn.Render(clip("touch your YubiKey: it signs this approval", inner)))
	case d.busy:
		lines = append(lines, st.Dim.Render("remembering…"))
	case d.err != "":
		for _, l := range wrapText(d.err, inner) {
			lines = append(lines, st.Status.Error.Render(l))
		}
	case d.phase == rememberClassify:
		lines = append(lines, st.Dim.Render(clip("a rule in your taxonomy overlay, for every session", inner)))
	case d.phase == rememberCode && d.choice().classifying():
		lines = append(lines, st.Dim.Render(clip("lowers it from critical: type the 6-digit code", inner)))
	case d.phase == rememberCode:
		lines = append(lines, st.Dim.Render(clip("critical: type the 6-digit code", inner)))
	default:
		text := "Later calls it covers are approved without asking, until the engine stops. It approves this request too."
		if d.touch {
			text += " Touch is required: your YubiKey signs the approval."
		}
		for _, l := range wrapText(text, inner) {
			lines = append(lines, st.Dim.Render(l))
		}
	}
	foot := "↑↓/1-" + string(rune('0'+len(d.choices))) + " choose · enter remember · esc back out"
	switch d.phase {
	case rememberClassify:
		foot = "tab risk · enter next · esc back out"
	case rememberCode:
		foot = "enter submit · esc back out"
	}
	lines = append(lines, "", st.Dim.Render(clip(foot, inner)))
	return st.Modal.Box.Width(inner + 4).Render(strings.Join(lines, "\n"))
}
