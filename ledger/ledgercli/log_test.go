package ledgercli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/internal/vectorgen"
	"github.com/ony-dev/ony-tui/ledger/ledgercli"
)

func buildCase(t *testing.T, name string) vectorgen.Layout {
	t.Helper()
	for _, c := range vectorgen.Cases() {
		if c.Name == name {
			l, err := vectorgen.Build(context.Background(), t.TempDir(), c)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
	}
	t.Fatalf("no vector %q", name)
	return vectorgen.Layout{}
}

func runLog(t *testing.T, opts ledgercli.LogOptions) (int, []string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := ledgercli.Log(context.Background(), opts, &out, &errb)
	var lines []string
	for sc := bufio.NewScanner(&out); sc.Scan(); {
		lines = append(lines, sc.Text())
	}
	// The text listing starts with its header row; the tests read entries.
	if !opts.JSON && !opts.Stats && len(lines) > 0 && strings.HasPrefix(lines[0], "   SEQ  STATUS") {
		lines = lines[1:]
	}
	return code, lines, errb.String()
}

// The text listing has a header row, and every column starts where its
// name does, whatever the entry's kind.
func TestLogHeaderAndAlignedColumns(t *testing.T) {
	l := buildCase(t, "intact")
	var out bytes.Buffer
	if code := ledgercli.Log(context.Background(), ledgercli.LogOptions{DB: l.DB, AuditKeyFile: l.VerifyKey}, &out, &bytes.Buffer{}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	header := lines[0]
	for _, col := range []string{"SEQ", "STATUS", "TIME (UTC)", "KIND", "ACTION", "RISK", "DECISION", "BY", "TARGET, DETAIL, DEVICE"} {
		if !strings.Contains(header, col) {
			t.Fatalf("header %q lacks %q", header, col)
		}
	}
	at := func(name string) int { return strings.Index(header, name) }
	for _, line := range lines[1:] {
		r := []rune(line)
		for _, col := range []string{"STATUS", "TIME (UTC)", "KIND", "ACTION", "RISK", "DECISION", "BY"} {
			if i := at(col); i >= len(r) || r[i-1] != ' ' || r[i-2] != ' ' || r[i] == ' ' {
				t.Fatalf("column %s does not start at %d in\n%s\n%s", col, i, header, line)
			}
		}
	}
	if !strings.Contains(out.String(), "verdict          git.push                approve   keypad") &&
		!strings.Contains(out.String(), "deny      touch") && !strings.Contains(out.String(), "approve   touch") {
		t.Fatalf("no decider in the listing:\n%s", out.String())
	}
}

// --stats prints the figures of the matching entries instead of them, as
// text or one JSON object.
func TestLogStats(t *testing.T) {
	l := buildCase(t, "intact")
	now := func() time.Time { return vectorgen.Epoch().Add(time.Hour) }
	code, lines, stderr := runLog(t, ledgercli.LogOptions{DB: l.DB, AuditKeyFile: l.VerifyKey, Stats: true, Now: now})
	text := strings.Join(lines, "\n")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"What Ony decided, from 20 ledger entries", "decisions per hour, last 24 h", "last 24 h", "all time",
		"held for a person", "answer time median", "most held, all time:  git.push"} {
		if !strings.Contains(text, want) {
			t.Fatalf("stats lack %q:\n%s", want, text)
		}
	}
	var out bytes.Buffer
	if code := ledgercli.Log(context.Background(), ledgercli.LogOptions{DB: l.DB, AuditKeyFile: l.VerifyKey, Stats: true, JSON: true,
		Now: now, Since: "10"}, &out, &bytes.Buffer{}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var v struct {
		Schema  string `json:"schema"`
		Entries uint64 `json:"entries"`
		All     struct {
			Decisions uint64 `json:"decisions"`
			Held      uint64 `json:"held"`
		} `json:"all"`
		Hours []json.RawMessage `json:"hours"`
	}
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if v.Schema != ledgercli.StatsSchema || v.Entries != 11 || v.All.Held == 0 || v.All.Decisions == 0 || len(v.Hours) != 24 {
		t.Fatalf("stats JSON: %+v\n%s", v, out.String())
	}
	code, _, stderr = runLog(t, ledgercli.LogOptions{DB: l.DB, AuditKeyFile: l.VerifyKey, Stats: true, Follow: true})
	if code != ledgercli.ExitCannot || !strings.Contains(stderr, "leave out --follow") {
		t.Fatalf("--stats --follow: exit %d %q", code, stderr)
	}
}

// logLine is the part of a log --json line the tests read.
type logLine struct {
	Schema   string      `json:"schema"`
	Seq      uint64      `json:"seq"`
	Time     time.Time   `json:"time"`
	Kind     ledger.Kind `json:"kind"`
	Action   string      `json:"action"`
	Decision string      `json:"decision"`
	Hash     ledger.Hash `json:"hash"`
	Status   string      `json:"status"`
	Reason   string      `json:"reason"`
}

func parseLines(t *testing.T, lines []string) []logLine {
	t.Helper()
	out := make([]logLine, len(lines))
	for i, s := range lines {
		if err := json.Unmarshal([]byte(s), &out[i]); err != nil {
			t.Fatalf("line %d %q: %v", i, s, err)
		}
	}
	return out
}

func seqs(ls []logLine) []uint64 {
	var s []uint64
	for _, l := range ls {
		s = append(s, l.Seq)
	}
	return s
}

func TestLogListsAndFilters(t *testing.T) {
	l := buildCase(t, "intact")
	base := ledgercli.LogOptions{DB: l.DB, AuditKeyFile: l.VerifyKey, JSON: true,
		Now: func() time.Time { return vectorgen.Epoch().Add(20 * time.Second) }}
	code, lines, stderr := runLog(t, base)
	all := parseLines(t, lines)
	if code != 0 || stderr != "" || len(all) != 20 {
		t.Fatalf("exit %d stderr %q, %d lines, want 20", code, stderr, len(all))
	}
	for i, e := range all {
		if e.Seq != uint64(i+1) || e.Status != "ok" || e.Schema != ledgercli.LogSchema || e.Hash.IsZero() {
			t.Fatalf("line %d: %+v", i, e)
		}
	}
	for name, tc := range map[string]struct {
		mut  func(*ledgercli.LogOptions)
		want []uint64
	}{
		"since seq":      {func(o *ledgercli.LogOptions) { o.Since = "18" }, []uint64{18, 19, 20}},
		"since duration": {func(o *ledgercli.LogOptions) { o.Since = "2s" }, []uint64{19, 20}},
		"since time":     {func(o *ledgercli.LogOptions) { o.Since = vectorgen.Epoch().Add(16 * time.Second).Format(time.RFC3339) }, []uint64{17, 18, 19, 20}},
		"decision":       {func(o *ledgercli.LogOptions) { o.Decision = "approve" }, []uint64{2, 10, 18}},
		"action+limit":   {func(o *ledgercli.LogOptions) { o.Action = "git.push"; o.Limit = 3 }, []uint64{18, 19, 20}},
		"no action":      {func(o *ledgercli.LogOptions) { o.Action = "fs.delete" }, nil},
	} {
		t.Run(name, func(t *testing.T) {
			opts := base
			tc.mut(&opts)
			code, lines, stderr := runLog(t, opts)
			got := seqs(parseLines(t, lines))
			if code != 0 || stderr != "" || len(got) != len(tc.want) {
				t.Fatalf("exit %d stderr %q seqs %v, want %v", code, stderr, got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("seqs %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestLogHumanOutput(t *testing.T) {
	l := buildCase(t, "edited-middle")
	code, lines, stderr := runLog(t, ledgercli.LogOptions{DB: l.DB, AuditKeyFile: l.VerifyKey, Since: "9", Limit: 3})
	if code != ledgercli.ExitTampered || len(lines) != 3 {
		t.Fatalf("exit %d lines %q", code, lines)
	}
	// Limit keeps the last three lines: 18, 19, 20, all after the break.
	for _, s := range lines {
		if !strings.Contains(s, " unverified ") {
			t.Errorf("line %q, want status unverified", s)
		}
	}
	code, lines, stderr = runLog(t, ledgercli.LogOptions{DB: l.DB, AuditKeyFile: l.VerifyKey, Since: "9"})
	if code != ledgercli.ExitTampered || len(lines) != 12 {
		t.Fatalf("exit %d, %d lines", code, len(lines))
	}
	if f := strings.Fields(lines[0]); f[0] != "9" || f[1] != "ok" || f[2] != "2026-05-01T10:00:08Z" || f[3] != "request" {
		t.Errorf("line for entry 9: %q", lines[0])
	}
	if f := strings.Fields(lines[1]); f[0] != "10" || f[1] != "tampered" || !strings.HasSuffix(lines[1], "(edited)") {
		t.Errorf("line for entry 10: %q", lines[1])
	}
	if !strings.HasPrefix(stderr, "ony-tui: error: ledger tampered at entry 10: edited") || !strings.Contains(stderr, "ony-tui: hint: ") {
		t.Errorf("stderr %q", stderr)
	}
}

func TestLogWrongKeyListsNothing(t *testing.T) {
	l := buildCase(t, "wrong-key")
	code, lines, stderr := runLog(t, ledgercli.LogOptions{DB: l.DB, AuditKeyFile: l.VerifyKey})
	if code != ledgercli.ExitCannot || len(lines) != 0 || !strings.Contains(stderr, "wrong audit key") {
		t.Fatalf("exit %d lines %d stderr %q", code, len(lines), stderr)
	}
}

func TestLogBadArguments(t *testing.T) {
	l := buildCase(t, "empty")
	for name, opts := range map[string]ledgercli.LogOptions{
		"bad since":   {DB: l.DB, AuditKeyFile: l.VerifyKey, Since: "yesterday"},
		"missing db":  {DB: l.DB + ".missing", AuditKeyFile: l.VerifyKey},
		"missing key": {DB: l.DB, AuditKeyFile: l.VerifyKey + ".missing"},
	} {
		code, lines, stderr := runLog(t, opts)
		if code != ledgercli.ExitCannot || len(lines) != 0 || !strings.HasPrefix(stderr, "ony-tui: error: ") || !strings.Contains(stderr, "ony-tui: hint: ") {
			t.Errorf("%s: exit %d lines %q stderr %q", name, code, lines, stderr)
		}
	}
	if code, lines, stderr := runLog(t, ledgercli.LogOptions{DB: l.DB, AuditKeyFile: l.VerifyKey}); code != 0 || len(lines) != 0 || stderr != "" {
		t.Errorf("empty ledger: exit %d lines %q stderr %q", code, lines, stderr)
	}
}

// TestLogEscapesTerminalControls: an agent-supplied target must not reach
// the terminal raw.
func TestLogEscapesTerminalControls(t *testing.T) {
	l, err := vectorgen.NewLayout(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lg, err := ledger.Open(context.Background(), l.DB, l.Options())
	if err != nil {
		t.Fatal(err)
	}
	e := vectorgen.SampleEntry(1)
	e.Target = "evil\x1b]0;owned\x07\u202edone"
	if _, err := lg.Append(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	lg.Close()
	_, lines, _ := runLog(t, ledgercli.LogOptions{DB: l.DB, AuditKeyFile: l.VerifyKey})
	if len(lines) != 1 || strings.ContainsAny(lines[0], "\x1b\x07\u202e") || !strings.Contains(lines[0], `"evil\x1b]0;owned\a\u202edone"`) {
		t.Fatalf("line %q", lines)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogFollow(t *testing.T) {
	l := buildCase(t, "intact")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- ledgercli.Log(ctx, ledgercli.LogOptions{DB: l.DB, AuditKeyFile: l.VerifyKey, JSON: true, Follow: true, Limit: 2, Poll: 10 * time.Millisecond}, &out, &errb)
	}()
	lg, err := ledger.Open(context.Background(), l.DB, l.Options())
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	for i := 21; i <= 23; i++ {
		if _, err := lg.Append(context.Background(), vectorgen.SampleEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), "\n") < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("follow printed %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 || errb.String() != "" {
		t.Fatalf("exit %d stderr %q", code, errb.String())
	}
	got := seqs(parseLines(t, strings.Split(strings.TrimSpace(out.String()), "\n")))
	want := []uint64{19, 20, 21, 22, 23}
	if len(got) != len(want) {
		t.Fatalf("followed seqs %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("followed seqs %v, want %v", got, want)
		}
	}
}
