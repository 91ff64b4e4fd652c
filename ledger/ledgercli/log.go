package ledgercli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ony-dev/ony-tui/engine/stats"
	"github.com/ony-dev/ony-tui/internal/humanize"
	"github.com/ony-dev/ony-tui/ledger"
)

// LogOptions are the inputs of ony-tui log.
type LogOptions struct {
	DB           string // --db: the ledger file
	AuditKeyFile string // --key: the audit key file, to give each entry its verification status
	JSON         bool   // --json: one JSON object per entry (JSON Lines, docs/LEDGER-FORMAT.md §9)
	Follow       bool   // --follow: keep printing new entries until ctx ends
	// Since keeps entries from a point on: a seq ("40": entries 40 and
	// later), a duration ("2h": the last two hours) or an RFC 3339 time.
	Since    string
	Action   string // --action: only entries with this action
	Decision string // --decision: only entries with this decision
	// Limit, if positive, prints only the last Limit matching entries (then,
	// with Follow, every new one).
	Limit int
	// Poll is how often Follow looks for new entries; default 1s.
	Poll time.Duration
	// Now is the clock for a duration in Since; default time.Now.
	Now func() time.Time
	// Stats prints what Ony decided (engine/stats) over the matching
	// entries instead of the entries: decisions per hour by risk, what was
	// held and how it ended, answer times, the most held actions. With
	// JSON, one object (docs/LEDGER-FORMAT.md §10).
	Stats bool
}

// logPage is how many entries Log reads at a time.
const logPage = 1000

// Log lists ledger entries with their verification status and returns the
// exit code: 0 when every entry read (listed or not) verified, 1 when one
// failed (tampered), 2 when the ledger could not be read or checked (a
// missing file or key, a wrong key, an entry of a newer kind).
// Every entry from the first is verified, whatever the filters, since an
// entry's status depends on all before it; signed checkpoints are verify's
// business. With Follow it returns when ctx ends.
func Log(ctx context.Context, opts LogOptions, stdout, stderr io.Writer) int {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Stats && (opts.Follow || opts.Limit > 0) {
		errorf(stderr, "--stats summarises every matching entry: leave out --follow and --limit")
		return ExitCannot
	}
	match, err := logFilter(opts)
	if err != nil {
		errorf(stderr, "%v", err)
		hintf(stderr, "--since takes a seq (40), a duration (2h) or an RFC 3339 time (2026-05-01T10:00:00Z)")
		return ExitCannot
	}
	key, err := ledger.LoadAuditKey(opts.AuditKeyFile)
	if err != nil {
		errorf(stderr, "%v", err)
		hintf(stderr, "log verifies every entry it lists: pass the audit key with --key FILE")
		return ExitCannot
	}
	r, err := ledger.OpenReader(ctx, opts.DB)
	if err != nil {
		errorf(stderr, "%v", err)
		if errors.Is(err, fs.ErrNotExist) {
			hintf(stderr, "pass the ledger file with --db PATH")
		}
		return ExitCannot
	}
	defer r.Close()
	if err := checkKey(ctx, r, key); err != nil {
		errorf(stderr, "cannot list the ledger: %v", err)
		hintf(stderr, "pass the audit key of the console that wrote this ledger with --key FILE")
		return ExitCannot
	}
	l := &lister{opts: opts, match: match, v: ledger.NewVerifier(key, 1, ledger.Hash{}), out: bufio.NewWriter(stdout)}
	if opts.Limit > 0 {
		l.ring = make([]listed, 0, opts.Limit)
	}
	if opts.Stats {
		l.tally = stats.NewTally()
	} else if !opts.JSON {
		l.header()
	}
	if err := l.pass(ctx, r); err != nil {
		l.out.Flush()
		errorf(stderr, "%v", err)
		return ExitCannot
	}
	l.flushRing()
	if l.tally != nil {
		if err := l.writeStats(); err != nil {
			return ExitCannot
		}
	}
	if err := l.out.Flush(); err != nil {
		return ExitCannot
	}
	for opts.Follow {
		select {
		case <-ctx.Done():
			return l.exit(stderr)
		case <-time.After(opts.Poll):
		}
		if err := l.pass(ctx, r); err != nil {
			if ctx.Err() != nil {
				return l.exit(stderr)
			}
			errorf(stderr, "%v", err)
			return ExitCannot
		}
		if err := l.out.Flush(); err != nil {
			return ExitCannot
		}
	}
	return l.exit(stderr)
}

// checkKey tells a wrong key from tampering before anything is listed.
func checkKey(ctx context.Context, r *ledger.Reader, key []byte) error {
	first, err := r.Since(ctx, 0, 2)
	if err != nil {
		return err
	}
	v := ledger.NewVerifier(key, 1, ledger.Hash{})
	for _, e := range first {
		v.Check(e)
	}
	if p := v.Err(); p != nil && p.Reason == ledger.ReasonWrongKey {
		return p
	}
	return nil
}

// logFilter turns the filter options into a predicate.
func logFilter(opts LogOptions) (func(*ledger.Entry) bool, error) {
	var minSeq uint64
	var minTime time.Time
	if s := strings.TrimSpace(opts.Since); s != "" {
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			minSeq = n
		} else if d, err := time.ParseDuration(s); err == nil && d >= 0 {
			minTime = opts.Now().Add(-d)
		} else if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			minTime = t
		} else {
			return nil, fmt.Errorf("--since %q is not a seq, a duration or an RFC 3339 time", opts.Since)
		}
	}
	return func(e *ledger.Entry) bool {
		return e.Seq >= minSeq && !e.Time.Before(minTime) &&
			(opts.Action == "" || e.Action == opts.Action) &&
			(opts.Decision == "" || e.Decision == opts.Decision)
	}, nil
}

// listed is an entry with its verification result.
type listed struct {
	e   ledger.Entry
	err *ledger.ChainError
}

type lister struct {
	opts     LogOptions
	match    func(*ledger.Entry) bool
	v        *ledger.Verifier
	out      *bufio.Writer
	after    uint64   // last seq read
	ring     []listed // the last Limit matches of the first pass
	ringNext int
	ringDone bool
	tampered *ledger.ChainError // first entry that failed: tampering
	cannot   *ledger.ChainError // first entry that could not be checked (unknown kind)
	tally    *stats.Tally       // --stats: the figures of the matching entries
}

// pass reads and verifies every entry after l.after, printing the matches.
func (l *lister) pass(ctx context.Context, r *ledger.Reader) error {
	for {
		page, err := r.Since(ctx, l.after, logPage)
		if err != nil {
			return err
		}
		for _, e := range page {
			var ce *ledger.ChainError
			if err := l.v.Check(e); err != nil && errors.As(err, &ce) {
				switch {
				case ce.Reason == ledger.ReasonAfterBreak:
				case ce.Reason.CouldNotCheck():
					if l.cannot == nil {
						l.cannot = ce
					}
				case l.tampered == nil:
					l.tampered = ce
				}
			}
			if e.Seq > l.after {
				l.after = e.Seq
			}
			if l.match(&e) {
				l.emit(listed{e, ce})
			}
		}
		if len(page) < logPage {
			return nil
		}
	}
}

func (l *lister) emit(x listed) {
	if l.tally != nil {
		l.tally.Add(&x.e)
		return
	}
	if l.ring == nil || l.ringDone {
		l.print(x)
		return
	}
	if len(l.ring) < cap(l.ring) {
		l.ring = append(l.ring, x)
		return
	}
	l.ring[l.ringNext] = x
	l.ringNext = (l.ringNext + 1) % len(l.ring)
}

// flushRing prints the kept last-Limit entries, oldest first, after the
// first pass; later entries print directly.
func (l *lister) flushRing() {
	if l.ring == nil {
		return
	}
	for i := range l.ring {
		l.print(l.ring[(l.ringNext+i)%len(l.ring)])
	}
	l.ring, l.ringDone = nil, true
}

func (l *lister) print(x listed) {
	status, reason, msg := "ok", "", ""
	if x.err != nil {
		status, reason, msg = "tampered", x.err.Reason.String(), x.err.Explain()
		if x.err.Reason == ledger.ReasonAfterBreak {
			status, reason = "unverified", ""
		}
	}
	secret := redactEntry(&x.e)
	if l.opts.JSON {
		b, _ := json.Marshal(logJSON{Schema: LogSchema, Entry: x.e, Status: status, Reason: reason, Message: msg, SecretSuspected: secret})
		l.out.Write(append(b, '\n'))
		return
	}
	e := &x.e
	by := string(stats.DeciderOf(e))
	cols := []string{fmt.Sprintf("%6d", e.Seq), pad(status, 10), e.Time.UTC().Format("2006-01-02T15:04:05Z"),
		pad(safe(e.Kind.String()), 15), pad(dash(safe(e.Action)), 22), pad(dash(safe(e.Risk)), 8),
		pad(dash(safe(e.Decision)), 8), pad(dash(by), 11)}
	var tail []string
	for _, f := range []string{e.Target, e.Detail, e.DeviceID} {
		if f != "" {
			tail = append(tail, safe(f))
		}
	}
	if reason != "" {
		tail = append(tail, "("+reason+")")
	}
	if secret {
		tail = append(tail, "(secret suspected: rotate it)")
	}
	line := strings.Join(cols, "  ")
	if len(tail) > 0 {
		line += "  " + strings.Join(tail, "  ")
	}
	fmt.Fprintln(l.out, strings.TrimRight(line, " "))
}

// header names the columns of the text listing, aligned with print's.
func (l *lister) header() {
	cols := []string{fmt.Sprintf("%6s", "SEQ"), pad("STATUS", 10), pad("TIME (UTC)", 20), pad("KIND", 15), pad("ACTION", 22),
		pad("RISK", 8), pad("DECISION", 8), pad("BY", 11), "TARGET, DETAIL, DEVICE"}
	fmt.Fprintln(l.out, strings.Join(cols, "  "))
}

// pad pads s to w cells; a longer value is kept whole (an audit listing
// never cuts a field), and pushes the rest of its line along.
func pad(s string, w int) string {
	if n := utf8.RuneCountInString(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeStats prints the figures of the entries matched.
func (l *lister) writeStats() error {
	sum := l.tally.Summary(l.opts.Now())
	if l.opts.JSON {
		enc := json.NewEncoder(l.out)
		enc.SetIndent("", "  ")
		return enc.Encode(statsJSON{Schema: StatsSchema, Summary: sum})
	}
	sum.WriteText(l.out)
	return nil
}

// exit reports a failed entry on stderr and returns the exit code:
// tampering wins over an entry that could not be checked.
func (l *lister) exit(stderr io.Writer) int {
	l.out.Flush()
	switch {
	case l.tampered != nil:
		errorf(stderr, "ledger tampered at entry %s: %s", humanize.Count(l.tampered.Seq), l.tampered.Explain())
		hintf(stderr, "run \"%s verify\" for the full report, including the signed checkpoints", Program)
		return ExitTampered
	case l.cannot != nil:
		errorf(stderr, "cannot verify entry %s: %s", humanize.Count(l.cannot.Seq), l.cannot.Explain())
		return ExitCannot
	}
	return ExitIntact
}
