package stats

import (
	"context"
	"fmt"
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

// CatchUp feeds t every entry after the last it holds.
func CatchUp(ctx context.Context, t *Tally, read ReadFunc) error {
	for {
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
	}
}
