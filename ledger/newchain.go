package ledger

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Starting a new chain deliberately (docs/LEDGER-FORMAT.md §6). Open never
// starts a new chain where an earlier one was kept; StartNewChain does, for
// an owner who asked for it at a terminal. Nothing is deleted: the earlier
// ledger file and checkpoint directory are moved into a new directory of the
// archive, and the new chain's first entry records who started it and the
// earlier chain's last signed head.

// archiveMoving marks an archive directory whose files are still being
// moved in; a later start finishes the move into the same directory.
const archiveMoving = ".moving"

// NewChain asks [StartNewChain] for a new chain.
type NewChain struct {
	// ArchiveDir receives the earlier chain's files, in a subdirectory
	// named after the time (created 0700).
	ArchiveDir string
	// By says who asked, e.g. "alice@host at a terminal"; it is recorded.
	By string
}

// PreviousChain is what is known of the chain a new one replaces.
type PreviousChain struct {
	// File is what the ledger's path held.
	File FileState
	// Head is the latest checkpoint that verifies under the checkpoint
	// verifier key, from the checkpoint directory or, when that has none
	// (a start interrupted after moving it), from the newest archive that
	// has one; nil if none verifies.
	Head *Checkpoint
	// HeadFrom is the directory Head was read from.
	HeadFrom string
	// Archive is where StartNewChain moved the files ("" for
	// InspectPrevious, or when there was nothing to move).
	Archive string
}

// Describe says in one line what the previous chain was.
func (p PreviousChain) Describe() string {
	s := "the ledger file held " + p.File.Found
	if p.File.Kind == FileMissing {
		s = "there was no ledger file"
	}
	if c := p.Head; c != nil {
		s += fmt.Sprintf("; its last signed checkpoint covers %d entries, head %s (%s)", c.Size, c.Head, c.Origin)
	} else {
		s += "; no signed checkpoint of it verifies, so its head is unknown"
	}
	return s
}

// InspectPrevious reports what [StartNewChain] would replace, changing
// nothing.
func InspectPrevious(path string, opts Options, archiveDir string) (PreviousChain, error) {
	var p PreviousChain
	st, err := InspectFile(path)
	if err != nil {
		return p, err
	}
	p.File = st
	p.Head, p.HeadFrom = previousHead(opts, archiveDir)
	return p, nil
}

// previousHead finds the latest verifying checkpoint of the checkpoint
// directory, or of the newest archive holding one.
func previousHead(opts Options, archiveDir string) (*Checkpoint, string) {
	v, err := LoadCheckpointVerifier(opts.CheckpointVerifierFile)
	if err != nil {
		return nil, ""
	}
	dirs := []string{opts.CheckpointDir}
	for _, a := range archives(archiveDir) {
		dirs = append(dirs, filepath.Join(a, filepath.Base(opts.CheckpointDir)))
	}
	for _, dir := range dirs {
		notes, err := ReadCheckpoints(dir)
		if err != nil {
			continue
		}
		var best *Checkpoint
		for _, n := range notes {
			if c, err := OpenCheckpoint(n, v); err == nil && (best == nil || c.Size > best.Size) {
				best = &c
			}
		}
		if best != nil {
			return best, dir
		}
	}
	return nil, ""
}

// archives lists the archive's subdirectories, newest first.
func archives(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out
}

// StartNewChain starts a new chain at path: it moves the ledger file (with
// its -wal and -shm) and the checkpoint directory into a new subdirectory
// of c.ArchiveDir, creates a new ledger with the same keys, and appends,
// before anything else and before its first checkpoint, a chain-started
// entry naming c.By and the previous chain's last signed head. It never
// deletes anything. If it is interrupted, the next Open refuses (keys and
// the archive remain) and a new StartNewChain finishes the move.
//
// The caller must make sure no other process uses the ledger (the engine
// holds its home's lock).
func StartNewChain(ctx context.Context, path string, opts Options, c NewChain) (*Ledger, PreviousChain, error) {
	if c.ArchiveDir == "" {
		return nil, PreviousChain{}, errors.New("ledger: a new chain needs an archive directory for the earlier files")
	}
	if err := opts.setDefaults(); err != nil {
		return nil, PreviousChain{}, err
	}
	unlock, err := lockOpen(path)
	if err != nil {
		return nil, PreviousChain{}, err
	}
	defer unlock()
	prev, err := InspectPrevious(path, opts, c.ArchiveDir)
	if err != nil {
		return nil, prev, err
	}
	if prev.Archive, err = archiveChain(path, opts.CheckpointDir, c.ArchiveDir); err != nil {
		return nil, prev, err
	}
	first := Entry{Kind: KindChainStarted, Detail: chainStartedDetail(c.By, prev)}
	if p := prev.Head; p != nil {
		first.Target = p.Origin
	}
	l, err := openLedger(ctx, path, opts, &first)
	if err != nil {
		return nil, prev, fmt.Errorf("starting a new chain (the earlier files are in %s): %w", prev.Archive, err)
	}
	return l, prev, nil
}

// chainStartedDetail is the Detail of a chain-started entry, within
// MaxDetailLen: "new chain started by B; previous chain: size N, head H
// (signed checkpoint); previous files in P".
func chainStartedDetail(by string, p PreviousChain) string {
	if by == "" {
		by = "an unnamed owner"
	}
	by = clipText(by, 128)
	head := "previous chain: no signed checkpoint verifies, head unknown"
	if c := p.Head; c != nil {
		head = fmt.Sprintf("previous chain: size %d, head %s (signed checkpoint)", c.Size, c.Head)
	}
	s := "new chain started by " + by + "; " + head
	if p.Archive != "" {
		s += "; previous files in " + clipText(p.Archive, MaxDetailLen-len(s)-len("; previous files in "))
	}
	return s
}

// clipText cuts s to at most n bytes at a rune boundary, marking the cut.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n < 4 {
		return ""
	}
	cut := n - len("…")
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// archiveChain moves the ledger file, its -wal and -shm, and the
// checkpoint directory into a new archive subdirectory (or the one an
// interrupted start left marked as moving), then recreates an empty
// checkpoint directory. It returns the subdirectory, or "" when there was
// nothing to move.
func archiveChain(path, checkpointDir, archiveDir string) (string, error) {
	var moves [][2]string
	for _, p := range []string{path + "-wal", path + "-shm", path, checkpointDir} {
		if _, err := os.Lstat(p); err == nil {
			moves = append(moves, [2]string{p, filepath.Base(p)})
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("archiving the earlier chain: %w", err)
		}
	}
	if len(moves) == 0 {
		return "", nil
	}
	if err := os.MkdirAll(archiveDir, 0o700); err != nil {
		return "", fmt.Errorf("creating archive directory: %w", err)
	}
	dst := ""
	if as := archives(archiveDir); len(as) > 0 {
		if _, err := os.Lstat(filepath.Join(as[0], archiveMoving)); err == nil {
			dst = as[0] // finish an interrupted move
		}
	}
	if dst == "" {
		dst = filepath.Join(archiveDir, time.Now().UTC().Format("20060102T150405.000000000Z"))
		if err := os.Mkdir(dst, 0o700); err != nil {
			return "", fmt.Errorf("creating archive directory: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dst, archiveMoving), nil, 0o600); err != nil {
			return "", fmt.Errorf("marking archive directory: %w", err)
		}
		if err := syncDir(archiveDir); err != nil {
			return "", fmt.Errorf("archiving the earlier chain: %w", err)
		}
	}
	for _, m := range moves {
		to := filepath.Join(dst, m[1])
		if _, err := os.Lstat(to); err == nil {
			return "", fmt.Errorf("archiving the earlier chain: %s already exists; move it aside by hand", to)
		}
		if err := os.Rename(m[0], to); err != nil {
			return "", fmt.Errorf("archiving the earlier chain: %w", err)
		}
	}
	for _, d := range []string{dst, filepath.Dir(path), filepath.Dir(checkpointDir)} {
		if err := syncDir(d); err != nil {
			return "", fmt.Errorf("archiving the earlier chain: %w", err)
		}
	}
	if err := os.Remove(filepath.Join(dst, archiveMoving)); err != nil {
		return "", fmt.Errorf("archiving the earlier chain: %w", err)
	}
	if err := os.Mkdir(checkpointDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("recreating checkpoint directory: %w", err)
	}
	return dst, syncDir(dst)
}
