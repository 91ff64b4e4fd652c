package ledger

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// lowerPriority runs the calling goroutine, for the rest of its life, on an
// OS thread of its own at the lowest CPU priority (nice 19): the ledger's
// background verification then only takes CPU the rest of the process (the
// console, the engine answering hooks) leaves. The goroutine must not
// unlock the thread: when it ends, the runtime ends the thread with it, so
// the lowered priority never reaches other goroutines.
func lowerPriority() {
	runtime.LockOSThread()
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), 19)
}
