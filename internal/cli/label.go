package cli

import (
	"os"
	"strings"
)

// consoleLabel names this console to the others: its terminal, this host,
// and the address an SSH login came from ("pts/3 on jump (ssh from
// 10.0.0.5)").
func consoleLabel() string {
	tty := "a terminal"
	if p, err := os.Readlink("/proc/self/fd/0"); err == nil && strings.HasPrefix(p, "/dev/") {
		tty = strings.TrimPrefix(p, "/dev/")
	}
	host, err := os.Hostname()
	if err != nil {
		host = "this host"
	}
	label := tty + " on " + host
	if tmux := os.Getenv("TMUX_PANE"); tmux != "" {
		label += " (tmux " + tmux + ")"
	}
	if ssh := strings.Fields(os.Getenv("SSH_CONNECTION")); len(ssh) > 0 {
		label += " (ssh from " + ssh[0] + ")"
	}
	return label
}
