// Package host names the machine a process runs on, so the engine can tell
// whether a hook runs beside it or on another host (an SSH-forwarded
// socket). The identity is a digest, not the machine id itself.
package host

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"syscall"
)

// idPrefix separates host identities from every other hash Ony computes.
const idPrefix = "ony/host/v1\x00"

// Where the machine id lives: systemd's file, then D-Bus's.
const (
	machineIDFile     = "/etc/machine-id"
	dbusMachineIDFile = "/var/lib/dbus/machine-id"
)

// ID returns this host's identity: the hex SHA-256 of a domain prefix, the
// machine id and the host name. Two processes on one machine (and in one
// UTS namespace) get the same identity; another machine, or a container
// with its own host name, gets another. It is "" when neither the machine
// id nor the host name can be read: such a host is unknown.
func ID() string {
	var mid []byte
	for _, f := range [...]string{machineIDFile, dbusMachineIDFile} {
		if b := readSmall(f); len(bytes.TrimSpace(b)) > 0 {
			mid = bytes.TrimSpace(b)
			break
		}
	}
	return Of(string(mid), hostname())
}

// readSmall reads a small file (a machine id is 33 bytes) with one open,
// one read and one close; nil if it cannot. The hook runs this in every
// process, and os.ReadFile's stat and second read cost as much again.
func readSmall(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	buf := make([]byte, 256)
	n, _ := f.Read(buf)
	return buf[:n]
}

// hostname is the kernel's node name, from one uname(2) (os.Hostname opens
// and reads /proc/sys/kernel/hostname: the hook pays for every syscall).
func hostname() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		name, _ := os.Hostname()
		return name
	}
	b := make([]byte, 0, len(u.Nodename))
	for _, c := range u.Nodename {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// Of returns the identity of a host with this machine id and host name, or
// "" when both are empty.
func Of(machineID, hostname string) string {
	if machineID == "" && hostname == "" {
		return ""
	}
	h := sha256.New()
	h.Write([]byte(idPrefix))
	h.Write([]byte(machineID))
	h.Write([]byte{0})
	h.Write([]byte(hostname))
	return hex.EncodeToString(h.Sum(nil))
}
