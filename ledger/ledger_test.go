package ledger_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/internal/vectorgen"
)

func newLayout(t *testing.T) vectorgen.Layout {
	t.Helper()
	l, err := vectorgen.NewLayout(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func openLedger(t *testing.T, l vectorgen.Layout, opts ledger.Options) *ledger.Ledger {
	t.Helper()
	lg, err := ledger.Open(context.Background(), l.DB, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { lg.Close() })
	return lg
}

func TestAppendReadBack(t *testing.T) {
	ctx := context.Background()
	l := newLayout(t)
	lg := openLedger(t, l, l.Options())
	var appended []ledger.Entry
	var prev ledger.Hash
	for i := 1; i <= 25; i++ {
		e, err := lg.Append(ctx, vectorgen.SampleEntry(i))
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		if e.Seq != uint64(i) || e.Prev != prev || e.Hash.IsZero() {
			t.Fatalf("entry %d: seq %d prev %s hash %s, want seq %d prev %s and a hash", i, e.Seq, e.Prev, e.Hash, i, prev)
		}
		if want := vectorgen.Epoch().Add(time.Duration(i-1) * time.Second); !e.Time.Equal(want) || e.Time.Location() != time.UTC {
			t.Fatalf("entry %d time %v, want %v UTC", i, e.Time, want)
		}
		prev = e.Hash
		appended = append(appended, e)
	}
	seq, h, err := lg.Head(ctx)
	if err != nil || seq != 25 || h != prev {
		t.Fatalf("Head = %d %s %v, want 25 %s", seq, h, err, prev)
	}
	got, err := lg.Since(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(appended, got); d != "" {
		t.Fatalf("Since(0) differs from what Append returned (-want +got):\n%s", d)
	}
	tail, err := lg.Tail(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(appended[22:], tail); d != "" {
		t.Fatalf("Tail(3) (-want +got):\n%s", d)
	}
	page, err := lg.Since(ctx, 20, 2)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(appended[20:22], page); d != "" {
		t.Fatalf("Since(20, 2) (-want +got):\n%s", d)
	}
	for _, bad := range []int{0, -1, ledger.MaxPage + 1} {
		if _, err := lg.Since(ctx, 0, bad); err == nil {
			t.Errorf("Since(0, %d) succeeded, want an error", bad)
		}
		if _, err := lg.Tail(ctx, bad); err == nil {
			t.Errorf("Tail(%d) succeeded, want an error", bad)
		}
	}
	// The live view: a Verifier fed the entries verifies all of them.
	v := ledger.NewVerifier(mustKey(t, l), 1, ledger.Hash{})
	for _, e := range got {
		if err := v.Check(e); err != nil {
			t.Fatalf("Check(%d): %v", e.Seq, err)
		}
	}
	if s, hh := v.Head(); s != 25 || hh != prev || v.Err() != nil {
		t.Fatalf("verifier head %d %s err %v", s, hh, v.Err())
	}
}

func mustKey(t *testing.T, l vectorgen.Layout) []byte {
	t.Helper()
	key, err := ledger.LoadAuditKey(l.VerifyKey)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestAppendRejectsInvalidEntries(t *testing.T) {
	ctx := context.Background()
	l := newLayout(t)
	lg := openLedger(t, l, l.Options())
	long := string(make([]byte, ledger.MaxFieldLen+1))
	for name, e := range map[string]ledger.Entry{
		"zero kind":      {Action: "x"},
		"unknown kind":   {Kind: ledger.Kind(250)},
		"long target":    {Kind: ledger.KindRequest, Target: long},
		"bad utf8":       {Kind: ledger.KindRequest, Action: "\xff"},
		"digest not hex": {Kind: ledger.KindRequest, RequestDigest: "sha256:abc"},
		"digest upper":   {Kind: ledger.KindRequest, RequestDigest: "AB" + string(make([]byte, 62))},
		"many factors":   {Kind: ledger.KindVerdict, Factors: make([]string, ledger.MaxFactors+1)},
		"long detail":    {Kind: ledger.KindVerdict, Detail: string(make([]byte, ledger.MaxDetailLen+1))},
	} {
		if _, err := lg.Append(ctx, e); !errors.Is(err, ledger.ErrInvalidEntry) {
			t.Errorf("%s: Append err = %v, want ErrInvalidEntry", name, err)
		}
	}
	if seq, _, _ := lg.Head(ctx); seq != 0 {
		t.Fatalf("head %d after rejected appends, want 0", seq)
	}
}

// TestConcurrentAppends checks group commit: every caller gets its own seq,
// the seqs are exactly 1..N, and the file verifies.
func TestConcurrentAppends(t *testing.T) {
	ctx := context.Background()
	l := newLayout(t)
	opts := l.Options()
	opts.CheckpointEvery = 50
	lg := openLedger(t, l, opts)
	const workers, each = 16, 40
	var mu sync.Mutex
	got := map[uint64]ledger.Hash{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				e, err := lg.Append(ctx, vectorgen.SampleEntry(w*each+i+1))
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				mu.Lock()
				if _, dup := got[e.Seq]; dup {
					t.Errorf("seq %d handed out twice", e.Seq)
				}
				got[e.Seq] = e.Hash
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(got) != workers*each {
		t.Fatalf("%d distinct seqs, want %d", len(got), workers*each)
	}
	for s := uint64(1); s <= workers*each; s++ {
		if _, ok := got[s]; !ok {
			t.Fatalf("seq %d missing", s)
		}
	}
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	rep := verifyLayout(t, l)
	if rep.Outcome() != ledger.Intact || rep.Entries != workers*each || rep.Checkpoint.Latest == nil || rep.Checkpoint.Latest.Size != workers*each {
		t.Fatalf("report %+v, want %d intact entries and a checkpoint of that size", rep, workers*each)
	}
}

// TestTwoWritersOneFile runs two Ledgers on the same file, as the console and
// a CLI command would: each reads the head inside its transaction, so the
// chain stays linear.
func TestTwoWritersOneFile(t *testing.T) {
	ctx := context.Background()
	l := newLayout(t)
	a := openLedger(t, l, l.Options())
	b := openLedger(t, l, l.Options())
	var wg sync.WaitGroup
	for _, lg := range []*ledger.Ledger{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= 30; i++ {
				if _, err := lg.Append(ctx, vectorgen.SampleEntry(i)); err != nil {
					t.Errorf("Append: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(a.Close(), b.Close()); err != nil {
		t.Fatal(err)
	}
	rep := verifyLayout(t, l)
	if rep.Outcome() != ledger.Intact || rep.Entries != 120 {
		t.Fatalf("outcome %s entries %d problem %v, want 120 intact", rep.Outcome(), rep.Entries, rep.Problem())
	}
}

func TestCloseWritesCheckpointAndRefusesAppends(t *testing.T) {
	ctx := context.Background()
	l := newLayout(t)
	opts := l.Options()
	opts.CheckpointEvery = -1
	lg, err := ledger.Open(ctx, l.DB, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st := lg.Status(); st.Checkpoint == nil || st.Checkpoint.Size != 0 {
		t.Fatalf("new ledger status %+v, want a checkpoint of size 0", st)
	}
	var last ledger.Entry
	for i := 1; i <= 7; i++ {
		if last, err = lg.Append(ctx, vectorgen.SampleEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := lg.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := lg.Append(ctx, vectorgen.SampleEntry(8)); !errors.Is(err, ledger.ErrClosed) {
		t.Fatalf("Append after Close: %v, want ErrClosed", err)
	}
	rep := verifyLayout(t, l)
	if c := rep.Checkpoint.Latest; c == nil || c.Size != 7 || c.Head != last.Hash {
		t.Fatalf("latest checkpoint %+v, want size 7 head %s", c, last.Hash)
	}
}

func TestCheckpointEveryAndHistory(t *testing.T) {
	ctx := context.Background()
	l := newLayout(t)
	opts := l.Options()
	opts.CheckpointEvery = 5
	opts.CheckpointHistory = 3
	lg := openLedger(t, l, opts)
	for i := 1; i <= 23; i++ {
		if _, err := lg.Append(ctx, vectorgen.SampleEntry(i)); err != nil {
			t.Fatal(err)
		}
		if st := lg.Status(); st.Checkpoint == nil || st.Head.Seq-st.Checkpoint.Size > 5 {
			t.Fatalf("after entry %d: status %+v, want a checkpoint at most 5 entries behind the head (it is written right after the batch that makes 5 due)", i, st)
		}
	}
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	hist, err := os.ReadDir(filepath.Join(l.CheckpointDir, "history"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range hist {
		names = append(names, e.Name())
	}
	want := []string{"00000000000000000015.ckpt", "00000000000000000020.ckpt", "00000000000000000023.ckpt"}
	if d := cmp.Diff(want, names); d != "" {
		t.Fatalf("history files (-want +got):\n%s", d)
	}
}

func TestCheckpointInterval(t *testing.T) {
	ctx := context.Background()
	l := newLayout(t)
	opts := l.Options()
	opts.CheckpointEvery = -1
	opts.CheckpointInterval = 20 * time.Millisecond
	lg := openLedger(t, l, opts)
	e, err := lg.Append(ctx, vectorgen.SampleEntry(1))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if st := lg.Status(); st.Checkpoint != nil && st.Checkpoint.Size == 1 && st.Checkpoint.Head == e.Hash {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint of entry 1 within 5s: status %+v", lg.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
