package cli

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"

	"github.com/ony-dev/ony-tui/engine/paths"
)

// ownerUIDs resolves --owner (names or uids) for the engine of a system
// install. It returns nil for a per-user layout, and refuses --owner there.
func (g *globals) ownerUIDs() ([]int, error) {
	if !g.system {
		if len(g.owners) > 0 {
			return nil, errors.New("--owner is for the engine of a system install: use it with --system")
		}
		return nil, nil
	}
	if len(g.owners) == 0 {
		return nil, errors.New("the engine of a system install gates one user's agents: name the user with --owner NAME (or uid)")
	}
	var uids []int
	for _, o := range g.owners {
		uid, err := lookupUID(o)
		if err != nil {
			return nil, fmt.Errorf("--owner %s: %w", o, err)
		}
		uids = append(uids, uid)
	}
	return uids, nil
}

// lookupUID reads a user name or a numeric uid.
func lookupUID(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return 0, errors.New("a uid is not negative")
		}
		return n, nil
	}
	u, err := user.Lookup(s)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(u.Uid)
}

// asEngineUser checks that a management command on a system install runs
// as the engine's user, who alone can read and write its keys and ledger.
func asEngineUser(l paths.Layout) error {
	var st syscall.Stat_t
	if err := syscall.Stat(l.StateDir, &st); err != nil {
		return fmt.Errorf("%s: %w (is the system service installed? sudo ony-tui install --system service)", l.StateDir, err)
	}
	if int(st.Uid) == os.Getuid() {
		return nil
	}
	name := strconv.Itoa(int(st.Uid))
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	return fmt.Errorf("the system install's keys and ledger belong to its engine's user (%s): run this command as that user, for example `sudo -u %s %s ... --system`", name, name, os.Args[0])
}
