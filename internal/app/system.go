package app

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
	"time"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/paths"
)

// system is what Start learns preparing a system install's directories.
type system struct {
	hookGID int    // the hook group (0: a per-user layout)
	home    string // the owner's home directory ("" for a per-user layout)
}

// prepare checks (and creates) the layout's directories. For a system
// layout it also checks the owners and sets the process umask to 077, so
// that nothing the engine creates (the SQLite ledger and its WAL above
// all) is ever readable by the hook group, which may traverse the state
// directory.
func prepare(l paths.Layout, owners []int) (system, error) {
	if !l.System {
		if len(owners) > 0 {
			return system{}, errors.New("owners are only for the engine of a system install (serve --system)")
		}
		return system{}, l.EnsureDirs()
	}
	if len(owners) == 0 {
		return system{}, errors.New("the engine of a system install needs the owner's uid (--owner UID): the user whose agents it gates")
	}
	for _, uid := range owners {
		switch {
		case uid <= 0:
			return system{}, fmt.Errorf("owner uid %d: the owner must be a user other than root (an agent running as root can undo anything)", uid)
		case uid == os.Getuid():
			return system{}, fmt.Errorf("owner uid %d is the engine's own user: the owner must be the user whose agents are gated", uid)
		}
	}
	syscall.Umask(0o077)
	gid, err := l.EnsureSystemDirs()
	if err != nil {
		return system{}, err
	}
	// The taxonomy protects the owner's files (~/.claude/settings.json,
	// ...): it needs the owner's home, not the engine's.
	u, err := user.LookupId(strconv.Itoa(owners[0]))
	if err != nil || u.HomeDir == "" {
		return system{}, fmt.Errorf("owner uid %d: no account with a home directory (%v)", owners[0], err)
	}
	return system{hookGID: gid, home: u.HomeDir}, nil
}

// Registry opens the device registry of a layout: private to this user, or
// for a system install shared with the hook group (public keys only, the
// software devices on ECDSA P-256).
func Registry(l paths.Layout, now func() time.Time) *device.Registry {
	return device.OpenWith(l.DevicesFile, l.KeysDir, now, device.Access{Owner: os.Getuid(), Shared: l.System})
}
