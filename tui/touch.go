package tui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/config"
)

// touchTimeout is how long a YubiKey waits for a touch before it gives up
// (engine/yubikey.TouchTimeout; the console does not link the card code).
const touchTimeout = 15 * time.Second

// touchPhase is where a YubiKey approval (Y) stands.
type touchPhase int

const (
	touchCode    touchPhase = iota + 1 // typing the 6-digit code (critical)
	touchPIN                           // typing the YubiKey's PIN (PIN policy once)
	touchWaiting                       // the card waits for the touch
)

// touchDialog drives Y: the code when the request needs one, the PIN when
// the key needs one, then "Touch your YubiKey" with a countdown while the
// engine has the card sign. The code and PIN are held only until the
// signature starts.
type touchDialog struct {
	open    bool
	phase   touchPhase
	req     engine.Request
	needPIN bool
	code    string
	input   lineInput
	err     string
	started time.Time // when the card was asked
}

func newTouchDialog(st *Styles) touchDialog {
	return touchDialog{input: lineInput{Mask: '•', Styles: st.Input}}
}

// start opens the dialog for r at the first phase it needs.
func (d *touchDialog) start(r engine.Request, needPIN bool) {
	*d = touchDialog{open: true, req: r, needPIN: needPIN, input: d.input}
	if r.Need == config.ApproveCode {
		d.toInput(touchCode)
		return
	}
	if needPIN {
		d.toInput(touchPIN)
		return
	}
	d.phase = touchWaiting
}

func (d *touchDialog) toInput(p touchPhase) {
	d.phase, d.err = p, ""
	d.input.Reset()
	if p == touchCode {
		d.input.Prompt, d.input.CharLimit = "code: ", codeDigits
	} else {
		d.input.Prompt, d.input.CharLimit = "PIN: ", 8
	}
	d.input.Focus()
}

// close forgets everything typed.
func (d *touchDialog) close() {
	d.input.Reset()
	d.input.Blur()
	*d = touchDialog{input: d.input}
}

// serials names the enrolled keys, for "Touch your YubiKey (serial N)".
func serials(keys []engine.YubiKey, touching uint32) string {
	if touching != 0 {
		return "serial " + strconv.FormatUint(uint64(touching), 10)
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strconv.FormatUint(uint64(k.Serial), 10)
	}
	return "serial " + strings.Join(parts, " or ")
}

// needsPIN reports whether a YubiKey approval must ask for the PIN: some
// enrolled key has PIN policy once (the PIN goes only to a key that needs
// it).
func needsPIN(keys []engine.YubiKey) bool {
	for _, k := range keys {
		if k.NeedsPIN {
			return true
		}
	}
	return false
}

// touch starts a YubiKey approval of the selected request.
func (m *Model) touch() tea.Cmd {
	r, ok := m.decidable()
	switch {
	case !ok:
		return nil
	case len(m.snap.YubiKeys) == 0:
		m.setStatus(statusHint, "no YubiKey is enrolled: run `ony-tui enroll yubikey`")
		return nil
	case m.queue.moved:
		m.queue.moved = false
		m.setStatus(statusHint, "selection changed to \""+requestTitle(r)+"\": check it, then press Y")
		return nil
	case m.snap.KillSwitch:
		m.setStatus(statusHint, "the kill switch is engaged: nothing can be approved")
		return nil
	case r.Need == config.ApproveCode && !m.snap.CodeEnrolled:
		m.addErr("\"" + requestTitle(r) + "\" needs a 6-digit code and no code device is enrolled: run `ony-tui enroll totp`")
		return nil
	}
	m.touchDlg.start(r, needsPIN(m.snap.YubiKeys))
	if m.touchDlg.phase == touchWaiting {
		return m.askCard()
	}
	return nil
}

// askCard has the engine sign the approval on the card.
func (m *Model) askCard() tea.Cmd {
	d := &m.touchDlg
	code, pin := d.code, d.input.Value()
	if d.phase == touchCode {
		code, pin = d.input.Value(), ""
	}
	d.code = ""
	d.input.Reset()
	d.input.Blur()
	d.phase, d.err, d.started = touchWaiting, "", m.now()
	m.inflight = d.req.ID
	return touchCmd(m.ctx, m.snapper, d.req, code, pin, m.deps.Label)
}

func (m *Model) keyTouch(k tea.KeyPressMsg) tea.Cmd {
	d := &m.touchDlg
	switch {
	case isCtrlC(k):
		if d.phase != touchWaiting {
			d.close()
		}
		return m.askQuit()
	case key.Matches(k, m.keys.KillSwitch):
		if d.phase != touchWaiting {
			d.close()
		}
		return m.engageKill()
	case d.phase == touchWaiting:
		if key.Matches(k, m.keys.Deny) {
			// The card holds the request: the engine denies it as soon as
			// the card returns, whatever happens on the key.
			m.setStatus(statusHint, "denying as soon as the YubiKey returns…")
			return decideCmd(m.ctx, m.snapper, d.req, false, "", m.deps.Label)
		}
		m.setStatus(statusHint, "the YubiKey waits for a touch: to cancel, do not touch it (or press D to deny)")
		return nil
	case key.Matches(k, m.keys.Cancel):
		d.close()
		m.setStatus(statusInfo, "backed out: nothing was decided")
		return nil
	case key.Matches(k, m.keys.Submit):
		v := d.input.Value()
		switch {
		case d.phase == touchCode && len(v) != codeDigits:
			d.err = "a code is 6 digits"
			return nil
		case d.phase == touchPIN && (len(v) < 1 || len(v) > 8):
			d.err = "a PIN is 1 to 8 characters"
			return nil
		case d.phase == touchCode && d.needPIN:
			d.code = v
			d.toInput(touchPIN)
			return nil
		}
		return m.askCard()
	}
	if d.phase == touchCode && k.Text != "" && !allDigits(k.Text) {
		d.err = "digits only"
		return nil
	}
	d.err = ""
	var cmd tea.Cmd
	d.input, cmd = d.input.Update(k)
	return cmd
}

// onTouched shows the outcome of a YubiKey approval.
func (m *Model) onTouched(msg decidedMsg) {
	d := &m.touchDlg
	if !d.open || d.req.ID != msg.id {
		return
	}
	r, still := m.pendingByID(msg.id)
	var te *engine.TouchError
	switch err := msg.err; {
	case err == nil:
		d.close()
		m.setStatus(statusSuccess, "approved ✓ with a YubiKey touch: "+msg.title)
	case errors.As(err, &te) && !te.Denied && still:
		d.close()
		m.addErr("YubiKey: " + err.Error() + ". Nothing was signed; \"" + msg.title + "\" still waits (Y to try again).")
	case errors.As(err, &te):
		d.close()
		m.addErr("YubiKey: " + err.Error() + ". \"" + msg.title + "\" was denied meanwhile.")
	case errors.Is(err, engine.ErrBadCode) && still && d.req.Need == config.ApproveCode:
		d.req = r
		d.toInput(touchCode)
		d.err = err.Error()
	default:
		d.close()
		m.addErr("YubiKey approval of \"" + msg.title + "\": " + err.Error())
	}
}

// view renders the dialog, w cells wide at most.
func (d *touchDialog) view(st *Styles, w int, keys []engine.YubiKey, now time.Time) string {
	inner := max(20, min(56, w-4))
	badge, bs := st.riskBadge(d.req.Class.Risk)
	lines := []string{
		st.Modal.Title.Render("YubiKey approval"),
		"",
		"Approve " + bs.Render(badge) + " " + st.Bold.Render(clip(requestTitle(d.req), inner-13)),
		st.Dim.Render(clip(d.req.Class.Action+" → "+orDash(d.req.Class.Target), inner)),
		"",
	}
	switch d.phase {
	case touchCode, touchPIN:
		lines = append(lines, d.input.View())
		hint := "Type the code from your authenticator app. The touch comes next."
		if d.phase == touchPIN {
			hint = "Type the YubiKey's PIN, used for this signature only. The touch comes next."
		}
		if d.err != "" {
			for _, l := range wrapText(d.err, inner) {
				lines = append(lines, st.Status.Error.Render(l))
			}
		} else {
			for _, l := range wrapText(hint, inner) {
				lines = append(lines, st.Dim.Render(l))
			}
		}
		lines = append(lines, "", st.Dim.Render("enter submit · esc back out without deciding"))
	case touchWaiting:
		serial := serials(keys, d.req.TouchSerial)
		left := touchTimeout - now.Sub(d.started)
		count := "…"
		if !d.started.IsZero() && left > 0 {
			count = fmt.Sprintf("%d s", int((left+time.Second-1)/time.Second))
		} else if !d.started.IsZero() {
			count = "giving up…"
		}
		lines = append(lines, st.Warn.Render("Touch your YubiKey ("+serial+")")+" · "+st.Bold.Render(count),
			st.Dim.Render(clip("Not touching it cancels. D denies instead.", inner)))
	}
	return st.Modal.Box.Width(inner + 4).Render(strings.Join(lines, "\n"))
}
