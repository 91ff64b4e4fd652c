package tui

import (
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// lineInput is a one-line text field that does only what the console needs:
// typing appends at the end, backspace deletes, ctrl+u clears, ctrl+w
// deletes a word, a paste appends its printable characters. With a mask the
// text shows as that rune repeated. (bubbles' textinput would link a
// clipboard package whose init searches PATH for clipboard tools, work every
// hook run would pay for.)
type lineInput struct {
	Prompt      string
	Placeholder string
	CharLimit   int  // 0: no limit
	Mask        rune // 0: show the text
	Styles      inputStyles

	value   []rune
	focused bool
}

// inputStyles style a lineInput.
type inputStyles struct {
	Prompt, Text, Placeholder, Cursor lipgloss.Style
}

// Value is the text typed.
func (in *lineInput) Value() string { return string(in.value) }

// SetValue replaces the text, within the limit.
func (in *lineInput) SetValue(s string) {
	in.value = nil
	in.insert(s)
}

// Reset clears the text.
func (in *lineInput) Reset() { in.value = nil }

// Focus makes the field take keys.
func (in *lineInput) Focus() tea.Cmd {
	in.focused = true
	return nil
}

// Blur stops the field taking keys.
func (in *lineInput) Blur() { in.focused = false }

// Focused reports whether the field takes keys.
func (in *lineInput) Focused() bool { return in.focused }

func (in *lineInput) insert(s string) {
	for _, r := range s {
		if in.CharLimit > 0 && len(in.value) >= in.CharLimit {
			return
		}
		if unicode.IsPrint(r) {
			in.value = append(in.value, r)
		}
	}
}

// Update applies a key or a paste.
func (in lineInput) Update(msg tea.Msg) (lineInput, tea.Cmd) {
	if !in.focused {
		return in, nil
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch msg.String() {
		case "backspace", "ctrl+h":
			if n := len(in.value); n > 0 {
				in.value = in.value[:n-1]
			}
		case "ctrl+u":
			in.value = nil
		case "ctrl+w":
			s := strings.TrimRight(string(in.value), " ")
			if i := strings.LastIndexByte(s, ' '); i >= 0 {
				s = s[:i+1]
			} else {
				s = ""
			}
			in.value = []rune(s)
		default:
			if msg.Text != "" && !msg.Mod.Contains(tea.ModCtrl) && !msg.Mod.Contains(tea.ModAlt) {
				in.insert(msg.Text)
			}
		}
	case tea.PasteMsg:
		in.insert(msg.Content)
	}
	return in, nil
}

// View renders the prompt, the text (or the placeholder) and, when
// focused, a block cursor.
func (in lineInput) View() string {
	var b strings.Builder
	b.WriteString(in.Styles.Prompt.Render(in.Prompt))
	text := string(in.value)
	if in.Mask != 0 {
		text = strings.Repeat(string(in.Mask), len(in.value))
	}
	if in.focused {
		b.WriteString(in.Styles.Text.Render(text))
		b.WriteString(in.Styles.Cursor.Render(" "))
	}
	if len(in.value) == 0 && in.Placeholder != "" {
		b.WriteString(in.Styles.Placeholder.Render(in.Placeholder))
	} else if !in.focused {
		b.WriteString(in.Styles.Text.Render(text))
	}
	return b.String()
}
