package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the console answers to.
//
// Deciding takes a deliberate, shifted key: A approves and D denies the
// selected request. Enter, space and the lowercase letters never decide;
// they only show a hint. K engages the kill switch at once from any screen
// except the session filter; releasing it takes K and then y.
type KeyMap struct {
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Home     key.Binding
	End      key.Binding
	Focus    key.Binding // switch between the queue and the detail pane

	Approve    key.Binding
	Deny       key.Binding
	Reveal     key.Binding // show the secrets masked in the selected request
	Touch      key.Binding // approve with a YubiKey touch; enabled while a key is enrolled
	Remember   key.Binding // approve and remember the answer for the agent session
	Rules      key.Binding // what is remembered: answers and overlay rules
	Forget     key.Binding // F in the remembered list
	KillSwitch key.Binding
	Away       key.Binding
	Filter     key.Binding
	Reverify   key.Binding
	Stats      key.Binding // what Ony has been deciding, from the ledger
	Dismiss    key.Binding // hide the errors shown
	Help       key.Binding
	Quit       key.Binding

	// Keys that look like a decision but are not one: they show a hint.
	ApproveHint key.Binding
	DenyHint    key.Binding

	// Dialog keys.
	Confirm key.Binding // y in a confirmation
	Cancel  key.Binding // esc
	Submit  key.Binding // enter in the code and filter inputs
}

// DefaultKeyMap returns the console's key bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Home:     key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home/g", "first")),
		End:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end/G", "last")),
		Focus:    key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "scroll detail / queue")),

		Approve:    key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "approve")),
		Deny:       key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "deny")),
		Reveal:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reveal secrets"), key.WithDisabled()),
		Touch:      key.NewBinding(key.WithKeys("Y"), key.WithHelp("Y", "YubiKey touch"), key.WithDisabled()),
		Remember:   key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "remember")),
		Rules:      key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "remembered")),
		Forget:     key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "forget")),
		KillSwitch: key.NewBinding(key.WithKeys("K"), key.WithHelp("K", "kill switch")),
		Away:       key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "away")),
		Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter session")),
		Reverify:   key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "re-verify")),
		Stats:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "stats")),
		Dismiss:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "dismiss errors")),
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:       key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),

		ApproveHint: key.NewBinding(key.WithKeys("a", "enter", "space")),
		DenyHint:    key.NewBinding(key.WithKeys("d")),

		Confirm: key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "confirm")),
		Cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Submit:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit")),
	}
}

// ShortHelp is the one-line help under the console, most important first:
// a narrow terminal drops the tail. Reveal shows only while the selected
// request has something masked.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Approve, k.Deny, k.Touch, k.KillSwitch, k.Reveal, k.Help, k.Quit, k.Remember, k.Stats, k.Rules, k.Away, k.Filter, k.Reverify}
}

// FullHelp is the help overlay, in columns: deciding, moving, the rest.
func (k KeyMap) FullHelp() [][]key.Binding {
	reveal := k.Reveal
	reveal.SetEnabled(true) // listed even when nothing is masked now
	return [][]key.Binding{
		{k.Approve, k.Deny, k.Touch, k.Remember, k.KillSwitch, k.Away, reveal},
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End, k.Focus},
		{k.Stats, k.Rules, k.Filter, k.Reverify, k.Dismiss, k.Help, k.Quit},
	}
}

// bindings is a fixed list of bindings shown as help inside a dialog.
type bindings []key.Binding

// ShortHelp implements help.KeyMap.
func (b bindings) ShortHelp() []key.Binding { return b }

// FullHelp implements help.KeyMap.
func (b bindings) FullHelp() [][]key.Binding { return [][]key.Binding{b} }
