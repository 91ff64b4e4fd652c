package ledger

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint files (docs/LEDGER-FORMAT.md §6): <dir>/checkpoint holds the
// latest signed checkpoint, <dir>/history/<size, 20 digits>.ckpt the most
// recent ones (the latest included), bounded by Options.CheckpointHistory.
// Writers serialise on an flock of <dir>/.lock.
const (
	checkpointLatest  = "checkpoint"
	checkpointHistory = "history"
	checkpointExt     = ".ckpt"
	checkpointLock    = ".lock"
)

// ReadCheckpoints returns the raw signed checkpoint notes kept in dir: the
// latest file first, then the history in increasing size. A missing
// directory or latest file yields what exists, possibly nothing. The notes
// are not verified; pass them to [Verify].
func ReadCheckpoints(dir string) ([][]byte, error) {
	var notes [][]byte
	b, err := os.ReadFile(filepath.Join(dir, checkpointLatest))
	switch {
	case err == nil:
		notes = append(notes, b)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("reading checkpoint: %w", err)
	}
	names, err := historyNames(dir)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, checkpointHistory, n))
		if errors.Is(err, fs.ErrNotExist) {
			continue // pruned by a writer since it was listed
		}
		if err != nil {
			return nil, fmt.Errorf("reading checkpoint history: %w", err)
		}
		notes = append(notes, b)
	}
	return notes, nil
}

// historyNames lists the history files in increasing size order (their names
// are zero-padded sizes).
func historyNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(dir, checkpointHistory))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing checkpoint history: %w", err)
	}
	var names []string
	for _, e := range ents {
		if n := e.Name(); strings.HasSuffix(n, checkpointExt) && !strings.HasPrefix(n, ".") && e.Type().IsRegular() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

// checkpointStore writes and reads the checkpoints of one ledger.
type checkpointStore struct {
	dir      string
	keep     int
	signer   note.Signer
	verifier note.Verifier
}

// load verifies every checkpoint file and returns them in increasing size,
// deduplicated. Any file that does not verify is an error: Open refuses to
// run on a ledger whose anchor was tampered with.
func (s *checkpointStore) load() ([]Checkpoint, error) {
	notes, err := ReadCheckpoints(s.dir)
	if err != nil {
		return nil, err
	}
	bySize := map[uint64]Checkpoint{}
	for _, msg := range notes {
		c, err := OpenCheckpoint(msg, s.verifier)
		if err != nil {
			return nil, fmt.Errorf("%w: checkpoint in %s claiming %d entries: %w", ErrCheckpoint, s.dir, claimedSize(msg), err)
		}
		if prev, ok := bySize[c.Size]; ok && prev != c {
			return nil, fmt.Errorf("%w: two signed checkpoints of size %d disagree (heads %s and %s): the ledger was forked",
				ErrCheckpoint, c.Size, prev.Head.Short(), c.Head.Short())
		}
		bySize[c.Size] = c
	}
	cps := make([]Checkpoint, 0, len(bySize))
	for _, c := range bySize {
		cps = append(cps, c)
	}
	sort.Slice(cps, func(i, j int) bool { return cps[i].Size < cps[j].Size })
	return cps, nil
}

// write signs c and makes it the latest checkpoint, unless a newer one is
// already there. hashAt returns the hash of the entry with a given seq (the
// zero hash for 0) so that write can refuse to replace a checkpoint that c's
// ledger does not contain.
func (s *checkpointStore) write(c Checkpoint, hashAt func(seq uint64) (Hash, error)) error {
	unlock, err := lockDir(s.dir)
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := s.readLatest()
	if err != nil {
		return err
	}
	if cur != nil {
		if cur.Origin != c.Origin {
			return fmt.Errorf("%w: latest checkpoint is for %s, this ledger is %s", ErrCheckpoint, cur.Origin, c.Origin)
		}
		if cur.Size > c.Size {
			return nil // another writer anchored a longer head already
		}
		h, err := hashAt(cur.Size)
		if err != nil {
			return fmt.Errorf("reading entry %d to extend checkpoint: %w", cur.Size, err)
		}
		if h != cur.Head {
			return fmt.Errorf("%w: entry %d is %s, the latest checkpoint signed %s: refusing to sign a fork",
				ErrCheckpoint, cur.Size, h.Short(), cur.Head.Short())
		}
		if cur.Size == c.Size {
			return nil
		}
	}
	msg, err := SignCheckpoint(c, s.signer)
	if err != nil {
		return err
	}
	hist := filepath.Join(s.dir, checkpointHistory)
	if err := os.MkdirAll(hist, 0o700); err != nil {
		return fmt.Errorf("creating checkpoint history: %w", err)
	}
	if err := replaceFile(filepath.Join(hist, fmt.Sprintf("%020d%s", c.Size, checkpointExt)), msg, 0o600); err != nil {
		return fmt.Errorf("writing checkpoint history: %w", err)
	}
	if err := replaceFile(filepath.Join(s.dir, checkpointLatest), msg, 0o600); err != nil {
		return fmt.Errorf("writing checkpoint: %w", err)
	}
	return s.prune()
}

// readLatest returns the verified latest checkpoint: the largest among the
// latest file and the newest history file (a crash between writing the two
// leaves the history ahead).
func (s *checkpointStore) readLatest() (*Checkpoint, error) {
	var cands [][]byte
	if b, err := os.ReadFile(filepath.Join(s.dir, checkpointLatest)); err == nil {
		cands = append(cands, b)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading checkpoint: %w", err)
	}
	names, err := historyNames(s.dir)
	if err != nil {
		return nil, err
	}
	if len(names) > 0 {
		b, err := os.ReadFile(filepath.Join(s.dir, checkpointHistory, names[len(names)-1]))
		if err != nil {
			return nil, fmt.Errorf("reading checkpoint history: %w", err)
		}
		cands = append(cands, b)
	}
	var best *Checkpoint
	for _, msg := range cands {
		c, err := OpenCheckpoint(msg, s.verifier)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCheckpoint, err)
		}
		if best == nil || c.Size > best.Size {
			best = &c
		}
	}
	return best, nil
}

// prune keeps the newest s.keep history files and removes temp files left by
// a writer that crashed (safe: prune runs under the directory lock).
func (s *checkpointStore) prune() error {
	names, err := historyNames(s.dir)
	if err != nil {
		return err
	}
	hist := filepath.Join(s.dir, checkpointHistory)
	for len(names) > s.keep {
		if err := os.Remove(filepath.Join(hist, names[0])); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("pruning checkpoint history: %w", err)
		}
		names = names[1:]
	}
	for _, d := range []string{s.dir, hist} {
		ents, err := os.ReadDir(d)
		if err != nil {
			return fmt.Errorf("listing %s: %w", d, err)
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), tempPrefix) {
				os.Remove(filepath.Join(d, e.Name()))
			}
		}
	}
	return nil
}
