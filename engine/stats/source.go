package stats

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/ony-dev/ony-tui/ledger"
)

// ReadFunc reads up to limit ledger entries after seq afterSeq, in order
// ([ledger.Ledger.Since] and [ledger.Reader.Since] fit).
type ReadFunc func(ctx context.Context, afterSeq uint64, limit int) ([]ledger.Entry, error)

// page is how many entries one read takes.
const page = ledger.MaxPage

// Source keeps a Tally current with a ledger: each Summary first reads the
// entries appended since the last one, then summarises. The first call
// reads the whole ledger; later ones read only what is new. It is safe for
// concurrent use.
type Source struct {
	read ReadFunc
	now  func() time.Time

	mu sync.Mutex
	t  *Tally
}

// NewSource returns a Source over read; now may be nil for time.Now.
func NewSource(read ReadFunc, now func() time.Time) *Source {
	if now == nil {
		now = time.Now
	}
	return &Source{read: read, now: now, t: NewTally()}
}

// Summary brings the figures up to date and returns them.
func (s *Source) Summary(ctx context.Context) (Summary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := CatchUp(ctx, s.t, s.read); err != nil {
		return Summary{}, err
	}
	return s.t.Summary(s.now()), nil
}

// CatchUp feeds t every entry after the last it holds. A short catch-up
// (what a refresh finds) is one read; a long one (the first, over a whole
// ledger) reads several pages at once, one reader per core, and feeds them
// in order: reading and decoding cost far more than counting.
func CatchUp(ctx context.Context, t *Tally, read ReadFunc) error {
	es, err := read(ctx, t.Last(), page)
	if err != nil {
		return fmt.Errorf("reading the ledger for stats: %w", err)
	}
	for i := range es {
		t.Add(&es[i])
	}
	if len(es) < page {
		return nil
	}
	return catchUpParallel(ctx, t, read, readers())
}

// readers is how many pages are read at once.
func readers() int { return max(1, min(runtime.GOMAXPROCS(0), 4)) }

// catchUpParallel reads pages k = 0, 1, 2... after t's last entry, page k
// starting after seq last+k*page, with n readers (reader i takes the pages
// k ≡ i mod n), and feeds them to t in order until a page comes back
// short. With gaps in the seqs (a damaged ledger) pages overlap rather
// than skip, and the tally ignores what it already counted.
func catchUpParallel(ctx context.Context, t *Tally, read ReadFunc, n int) error {
	ctx, cancel := context.WithCancel(ctx)
	type result struct {
		es  []ledger.Entry
		err error
	}
	start := t.Last()
	outs := make([]chan result, n)
	var wg sync.WaitGroup
	for i := range outs {
		outs[i] = make(chan result, 1)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer close(outs[i])
			for k := i; ; k += n {
				es, err := read(ctx, start+uint64(k)*page, page)
				select {
				case outs[i] <- result{es, err}:
				case <-ctx.Done():
					return
				}
				if err != nil || len(es) < page {
					return
				}
			}
		}(i)
	}
	defer func() {
		cancel() // readers waiting to hand over a page stop
		wg.Wait()
	}()
	for k := 0; ; k++ {
		r, ok := <-outs[k%n]
		if !ok {
			return nil // that reader stopped at the end: every page before was fed
		}
		if r.err != nil {
			return fmt.Errorf("reading the ledger for stats: %w", r.err)
		}
		for i := range r.es {
			t.Add(&r.es[i])
		}
		if len(r.es) < page {
			return nil
		}
	}
}
