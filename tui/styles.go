package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"

	"github.com/ony-dev/ony-tui/engine/risk"
)

// Styles holds every style the console uses, built once by NewStyles and
// rebuilt only when the terminal reports its background colour.
//
// Colour is never the only carrier of meaning: every badge, state and mark
// also has text (CRIT, ✓, ✗, ENGAGED), so the console reads the same with
// NO_COLOR set or on a monochrome terminal.
type Styles struct {
	Brand lipgloss.Style // the "ONY" mark in the header
	Dim   lipgloss.Style // secondary text
	Bold  lipgloss.Style
	Good  lipgloss.Style // healthy states: verified, enrolled, off
	Warn  lipgloss.Style // needs attention: away, no code device
	Bad   lipgloss.Style // failures: broken chain, errors

	// KillBanner is the full-width line shown while the kill switch is engaged.
	KillBanner lipgloss.Style

	Risk struct {
		Crit, High, Med, Low lipgloss.Style
	}

	Section struct {
		Title, Focused, Rule lipgloss.Style
	}

	Queue struct {
		Columns  lipgloss.Style // column names
		Selected lipgloss.Style // the selected row
		Urgent   lipgloss.Style // countdown under 30 s
	}

	Detail struct {
		Label   lipgloss.Style
		Ignored lipgloss.Style // the agent's own risk hint
		Code    lipgloss.Style // command, paths, URL
	}

	Ledger struct {
		OK, Broken, After, Unchecked lipgloss.Style
	}

	Status struct {
		Info, Success, Hint, Error lipgloss.Style
	}

	Modal struct {
		Box, Title, Danger lipgloss.Style
	}

	// Bars are the stats chart's bars, by risk. Each risk has its own
	// glyph too (statsGlyphs), so the chart reads without colour.
	Bars struct {
		Crit, High, Med, Low lipgloss.Style
	}

	// ProgressFull and ProgressEmpty colour the re-verification bar.
	ProgressFull, ProgressEmpty color.Color

	Help  help.Styles
	Input inputStyles
}

// NewStyles builds the styles for a dark or light background. With noColor
// set (NO_COLOR), no style carries a colour; bold and reverse video remain
// so the selection and the kill switch stay visible.
func NewStyles(isDark, noColor bool) Styles {
	ld := lipgloss.LightDark(isDark)
	c := func(light, dark string) color.Color {
		if noColor {
			return lipgloss.NoColor{}
		}
		return ld(lipgloss.Color(light), lipgloss.Color(dark))
	}
	plain := lipgloss.NewStyle()
	fg := func(light, dark string) lipgloss.Style { return plain.Foreground(c(light, dark)) }
	badge := func(fgc, bgc string) lipgloss.Style {
		if noColor {
			return plain.Bold(true)
		}
		return plain.Bold(true).Foreground(lipgloss.Color(fgc)).Background(lipgloss.Color(bgc))
	}

	var s Styles
	s.Brand = fg("25", "75").Bold(true)
	s.Dim = fg("244", "245")
	s.Bold = plain.Bold(true)
	s.Good = fg("28", "78")
	s.Warn = fg("130", "220")
	s.Bad = fg("160", "203").Bold(true)

	s.KillBanner = badge("231", "160")
	if noColor {
		s.KillBanner = plain.Bold(true).Reverse(true)
	}

	s.Risk.Crit = badge("231", "160")
	if noColor {
		s.Risk.Crit = plain.Bold(true).Reverse(true)
	}
	s.Risk.High = badge("16", "208")
	s.Risk.Med = badge("16", "178")
	s.Risk.Low = badge("16", "71")

	s.Section.Title = fg("238", "252").Bold(true)
	s.Section.Focused = fg("25", "75").Bold(true)
	s.Section.Rule = fg("250", "240")

	s.Queue.Columns = fg("244", "245")
	s.Queue.Selected = plain.Bold(true).Background(c("254", "237"))
	if noColor {
		s.Queue.Selected = plain.Bold(true).Reverse(true)
	}
	s.Queue.Urgent = fg("160", "203").Bold(true)

	s.Detail.Label = fg("244", "245")
	s.Detail.Ignored = fg("130", "220")
	s.Detail.Code = fg("24", "152")

	s.Ledger.OK = fg("28", "78")
	s.Ledger.Broken = fg("160", "203").Bold(true)
	s.Ledger.After = fg("160", "203")
	s.Ledger.Unchecked = fg("244", "245")

	s.Status.Info = fg("238", "252")
	s.Status.Success = fg("28", "78").Bold(true)
	s.Status.Hint = fg("130", "220")
	s.Status.Error = fg("160", "203").Bold(true)

	s.Modal.Box = plain.Border(lipgloss.RoundedBorder()).BorderForeground(c("25", "75")).Padding(0, 1)
	s.Modal.Title = fg("25", "75").Bold(true)
	s.Modal.Danger = fg("160", "203").Bold(true)

	s.Bars.Crit = fg("160", "203")
	s.Bars.High = fg("166", "208")
	s.Bars.Med = fg("136", "178")
	s.Bars.Low = fg("28", "71")

	s.ProgressFull = c("28", "78")
	s.ProgressEmpty = c("250", "240")

	if noColor {
		s.Help = help.Styles{Ellipsis: plain, ShortKey: plain.Bold(true), ShortDesc: plain, ShortSeparator: plain,
			FullKey: plain.Bold(true), FullDesc: plain, FullSeparator: plain}
	} else {
		s.Help = help.DefaultStyles(isDark)
	}

	// A static block cursor: no blink timer runs while a code is typed.
	s.Input = inputStyles{Prompt: plain, Text: plain, Placeholder: plain.Faint(true), Cursor: plain.Reverse(true)}
	if !noColor {
		s.Input.Prompt = plain.Foreground(c("25", "75"))
		s.Input.Placeholder = plain.Foreground(c("245", "243"))
	}
	return s
}

// riskBadge returns the 4-cell badge text and style for a risk level. An
// invalid level is shown as critical, as the policy treats it.
func (s *Styles) riskBadge(l risk.Level) (string, lipgloss.Style) {
	switch l.OrCritical() {
	case risk.Low:
		return "LOW ", s.Risk.Low
	case risk.Medium:
		return "MED ", s.Risk.Med
	case risk.High:
		return "HIGH", s.Risk.High
	default:
		return "CRIT", s.Risk.Crit
	}
}
