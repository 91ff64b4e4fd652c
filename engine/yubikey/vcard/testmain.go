package vcard

import (
	"fmt"
	"os"
	"testing"
)

// MainWithPCSCD is the TestMain of a test binary that talks to cards: it
// starts a private pcscd, points this process's PC/SC clients at it (before
// any of them runs), stores it in *p, runs the tests and stops it. When
// pcscd cannot start, the binary fails with the reason; it never skips.
func MainWithPCSCD(m *testing.M, p **PCSCD) int { return WithPCSCD(m.Run, p) }

// WithPCSCD is MainWithPCSCD around any function that runs tests.
func WithPCSCD(run func() int, p **PCSCD) int {
	dir, err := os.MkdirTemp("", "ony-pcscd")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	d, err := StartPCSCD(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the YubiKey tests need a real pcscd with vsmartcard-vpcd: %v\n", err)
		return 1
	}
	defer d.Stop()
	if err := os.Setenv(SocketEnv, d.Socket); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*p = d
	code := run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "pcscd log (tail):\n%s\n", tail(d.Log(), 4000))
	}
	return code
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
