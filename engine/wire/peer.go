package wire

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// Cred is what the kernel says about the process at the other end of a
// Unix socket connection (SO_PEERCRED): its pid (the thread group, i.e. the
// process, as of connect) and its uid.
type Cred struct {
	PID int
	UID int
}

// PeerCred returns the credentials of the process at the other end of a
// Unix socket connection, from the kernel, not from anything it sent.
func PeerCred(c *net.UnixConn) (Cred, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return Cred{PID: -1, UID: -1}, fmt.Errorf("reading peer credentials: %w", err)
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return Cred{PID: -1, UID: -1}, fmt.Errorf("reading peer credentials: %w", err)
	}
	if cerr != nil {
		return Cred{PID: -1, UID: -1}, fmt.Errorf("reading peer credentials: %w", cerr)
	}
	return Cred{PID: int(cred.Pid), UID: int(cred.Uid)}, nil
}

// PeerUID returns the uid of the process at the other end of a Unix socket
// connection, from the kernel (SO_PEERCRED), not from anything it sent.
func PeerUID(c *net.UnixConn) (int, error) {
	cr, err := PeerCred(c)
	return cr.UID, err
}
