package sysinstall

import (
	"fmt"
	"strings"

	"github.com/ony-dev/ony-tui/hook/harness"
)

// ServeArgs is the engine's command line in a system install.
func ServeArgs(p Paths, ownerUID int) []string {
	args := []string{p.Binary, "serve", "--system", "--owner", fmt.Sprint(ownerUID)}
	if p.Layout.Root != "/" {
		args = append(args, "--root", p.Layout.Root)
	}
	return args
}

// Unit is the systemd system unit that runs the engine as its own user.
// UMask=0077 and the engine's own umask keep everything it creates private;
// systemd recreates /run/ony at boot (RuntimeDirectory), and the engine
// gives it the hook group; the sandboxing options leave it nothing to
// write but its state and runtime directories.
func Unit(p Paths, o Options, ownerUID int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# Written by "ony-tui install --system service"; "ony-tui uninstall --system service" removes it.
[Unit]
Description=Ony engine: the approval authority for the coding agents of %s
After=local-fs.target

[Service]
Type=simple
User=%s
SupplementaryGroups=%s
ExecStart=%s
UMask=0077
RuntimeDirectory=ony
RuntimeDirectoryMode=0710
Restart=on-failure
RestartSec=2
TimeoutStopSec=15
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ReadWritePaths=%s

[Install]
WantedBy=multi-user.target
`, o.Owner.Username, o.EngineUser, o.HookGroup, harness.ShellJoin(ServeArgs(p, ownerUID)), p.Layout.StateDir)
	return b.String()
}
