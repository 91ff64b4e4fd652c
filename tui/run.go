package tui

import (
	"context"
	"os"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Run shows the console in this process's terminal until the person quits
// or ctx ends. The console sets the window title (how many requests wait);
// Bubble Tea clears it on exit, so Run saves the title the terminal had on
// its title stack first (XTWINOPS 22) and restores it after (23), as
// xterm, VTE terminals, kitty, WezTerm and tmux do; a terminal without the
// stack ignores both.
func Run(ctx context.Context, m Model) error {
	_, _ = os.Stdout.WriteString(ansi.WindowOp(22, 0))
	defer func() { _, _ = os.Stdout.WriteString(ansi.WindowOp(23, 0)) }()
	_, err := tea.NewProgram(m, tea.WithContext(ctx)).Run()
	return err
}
