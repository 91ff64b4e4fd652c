package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ony-dev/ony-tui/hook"
)

// hookLog reports the hook's diagnostics log: where it is, how many
// problems it recorded in the last day, and the newest one. The hook writes
// its diagnostics there rather than on stderr, which some harnesses show to
// the model.
func (d *doctor) hookLog() {
	path := hook.LogFile(d.l)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		d.add("ok", "hook log", "no hook problems recorded ("+path+")", "")
		return
	}
	if err != nil {
		d.add("warn", "hook log", err.Error(), "")
		return
	}
	defer f.Close()
	since := time.Now().Add(-24 * time.Hour)
	recent, last := 0, ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		stamp, _, _ := strings.Cut(line, " ")
		if t, err := time.Parse(time.RFC3339Nano, stamp); err == nil && t.After(since) {
			recent++
			last = line
		}
	}
	if recent == 0 {
		d.add("ok", "hook log", "no hook problems in the last day ("+path+")", "")
		return
	}
	d.add("info", "hook log", fmt.Sprintf("%d hook problems in the last day, newest: %s", recent, clipLine(last, 200)),
		"the full log is "+path)
}

// clipLine shortens s to n bytes on a rune boundary, marking the cut.
func clipLine(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
