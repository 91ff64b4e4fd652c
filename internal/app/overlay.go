package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/ony-dev/ony-tui/engine"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/risk"
	"github.com/ony-dev/ony-tui/engine/taxonomy"
)

// The owner's taxonomy overlay (taxonomy.overlay.yaml beside the
// taxonomy): loaded strictly with the taxonomy (a bad overlay stops the
// engine from starting, as a bad taxonomy does), changed by the engine
// when the owner classifies a program at a console or forgets a rule, and
// swapped in at once.

// overlayState is the overlay part of a Taxonomy.
type overlayState struct {
	file   string // the overlay's path
	system bool   // a system install: the overlay is root's, the engine only reads it
	mu     sync.Mutex
	cur    atomic.Pointer[taxonomy.Taxonomy] // the taxonomy with the overlay
	loaded atomic.Pointer[taxonomy.Overlay]  // nil while there is no overlay file
}

// Current is the taxonomy with the overlay, as calls are classified now.
func (t *Taxonomy) Current() *taxonomy.Taxonomy {
	if c := t.ov.cur.Load(); c != nil {
		return c
	}
	return t.Taxonomy
}

// Overlay is the loaded overlay, nil when there is no overlay file.
func (t *Taxonomy) Overlay() *taxonomy.Overlay { return t.ov.loaded.Load() }

// OverlayFile is the overlay's path.
func (t *Taxonomy) OverlayFile() string { return t.ov.file }

func (t *Taxonomy) loadOverlay(l paths.Layout) error {
	t.ov.file, t.ov.system = l.OverlayFile, l.System
	if l.OverlayFile == "" {
		return nil
	}
	data, err := os.ReadFile(l.OverlayFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("reading the taxonomy overlay: %w", err)
	}
	return t.swap(data)
}

// swap loads data as the overlay and makes it current.
func (t *Taxonomy) swap(data []byte) error {
	c, o, err := t.Taxonomy.WithOverlay(data, t.ov.file)
	if err != nil {
		return fmt.Errorf("taxonomy overlay: %w (fix or remove the file: Ony does not start with an overlay it cannot read)", err)
	}
	t.ov.cur.Store(c)
	t.ov.loaded.Store(o)
	return nil
}

// read returns the overlay file's bytes, nil when there is none.
func (t *Taxonomy) read() ([]byte, error) {
	data, err := os.ReadFile(t.ov.file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// writable refuses a change where the engine may not write the overlay.
func (t *Taxonomy) writable() error {
	if t.ov.file == "" {
		return engine.ErrNoOverlay
	}
	if t.ov.system {
		return fmt.Errorf("in a system install the overlay (%s) is root's, like the taxonomy: edit it as root and restart the service", t.ov.file)
	}
	return nil
}

// AddProgram implements engine.Overlay.
func (t *Taxonomy) AddProgram(_ context.Context, program string, r risk.Level, title, comment string) (engine.OverlayChange, error) {
	if err := t.writable(); err != nil {
		return engine.OverlayChange{}, err
	}
	t.ov.mu.Lock()
	defer t.ov.mu.Unlock()
	data, err := t.read()
	if err != nil {
		return engine.OverlayChange{}, fmt.Errorf("reading the taxonomy overlay: %w", err)
	}
	out, o, err := taxonomy.AddOverlayRule(t.Taxonomy, data, t.ov.file, taxonomy.NewOverlayRule{Program: program, Title: title, Risk: r, Comment: comment})
	if err != nil {
		return engine.OverlayChange{}, err
	}
	if err := writeFileAtomic(t.ov.file, out); err != nil {
		return engine.OverlayChange{}, err
	}
	if err := t.swap(out); err != nil {
		return engine.OverlayChange{}, err
	}
	id := taxonomy.OverlayID(program)
	for _, r := range o.Rules() {
		if r.ID == id {
			return engine.OverlayChange{Rule: t.ruleOf(r), SHA256: o.SHA256()}, nil
		}
	}
	return engine.OverlayChange{}, fmt.Errorf("the overlay was written but has no rule %s", id)
}

// Rules implements engine.Overlay.
func (t *Taxonomy) Rules(context.Context) ([]engine.OverlayRule, error) {
	o := t.Overlay()
	if o == nil {
		return nil, nil
	}
	var out []engine.OverlayRule
	for _, r := range o.Rules() {
		out = append(out, t.ruleOf(r))
	}
	return out, nil
}

// Remove implements engine.Overlay.
func (t *Taxonomy) Remove(_ context.Context, id string) (engine.OverlayChange, error) {
	if err := t.writable(); err != nil {
		return engine.OverlayChange{}, err
	}
	t.ov.mu.Lock()
	defer t.ov.mu.Unlock()
	out, gone, err := RemoveOverlayRule(t.Taxonomy, t.ov.file, id)
	if err != nil {
		return engine.OverlayChange{}, err
	}
	if err := t.swap(out); err != nil {
		return engine.OverlayChange{}, err
	}
	return engine.OverlayChange{Rule: t.ruleOf(gone), SHA256: t.Overlay().SHA256()}, nil
}

// RemoveOverlayRule removes rule id from the overlay file (checked against
// base first) and returns the new contents and the rule.
func RemoveOverlayRule(base *taxonomy.Taxonomy, file, id string) ([]byte, taxonomy.OverlayRule, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, taxonomy.OverlayRule{}, fmt.Errorf("no overlay rule %q: there is no overlay (%s)", id, file)
	}
	if err != nil {
		return nil, taxonomy.OverlayRule{}, fmt.Errorf("reading the taxonomy overlay: %w", err)
	}
	out, gone, err := taxonomy.RemoveOverlayRule(base, data, file, id)
	if err != nil {
		return nil, taxonomy.OverlayRule{}, err
	}
	if err := writeFileAtomic(file, out); err != nil {
		return nil, taxonomy.OverlayRule{}, err
	}
	return out, gone, nil
}

func (t *Taxonomy) ruleOf(r taxonomy.OverlayRule) engine.OverlayRule {
	return engine.OverlayRule{ID: r.ID, Title: r.Title, Risk: r.Risk, Programs: r.Programs, File: t.ov.file, Line: r.Line, Comment: r.Comment}
}

// writeFileAtomic writes the overlay through a temporary file in the same
// directory, synced and renamed over it, 0600.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".taxonomy.overlay-*")
	if err != nil {
		return fmt.Errorf("writing the taxonomy overlay: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("writing the taxonomy overlay %s: %w", path, err)
	}
	return nil
}
