//go:build !linux

package ledger

// lowerPriority is a no-op where a thread's priority cannot be set alone.
func lowerPriority() {}
