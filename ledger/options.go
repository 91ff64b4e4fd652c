package ledger

import (
	"errors"
	"path/filepath"
	"time"
)

// File names inside the keys directory used by [DefaultOptions].
const (
	AuditKeyName           = "audit.key"
	CheckpointKeyName      = "checkpoint.key"
	CheckpointVerifierName = "checkpoint.pub"
)

// Options configures [Open]. The file paths are required; [DefaultOptions]
// fills them from the keys and checkpoint directories.
type Options struct {
	// AuditKeyFile holds the audit key: its own 32 random bytes, never a
	// verdict or device key. Created 0600 when the ledger is new.
	AuditKeyFile string
	// CheckpointKeyFile holds the Ed25519 note key that signs checkpoints
	// (0600); CheckpointVerifierFile its public verifier key. Both are
	// created when neither exists and no checkpoint does.
	CheckpointKeyFile      string
	CheckpointVerifierFile string
	// CheckpointDir holds the latest signed checkpoint and its history.
	CheckpointDir string

	// CheckpointEvery writes a checkpoint once this many entries were
	// appended since the last one; default 1000, negative disables.
	CheckpointEvery int
	// CheckpointInterval writes a checkpoint this often while entries are
	// unanchored; default 1 minute, negative disables. Close always writes
	// one.
	CheckpointInterval time.Duration
	// CheckpointHistory is how many checkpoints are kept; default 64.
	CheckpointHistory int
	// CheckpointKeyName names a newly created checkpoint key; default
	// "ony-tui-ledger". It must not contain '+' or spaces.
	CheckpointKeyName string

	// PriorFiles are more files whose existence shows that this ledger's
	// owner ran before (the device registry): like the key files and the
	// checkpoints, they make Open refuse to start a new chain silently.
	PriorFiles []string

	// OpenFromCheckpoint makes Open verify only the latest signed
	// checkpoint's entry and the entries after it before returning, and
	// the whole chain in the background ([Ledger.FullCheck]). Without it
	// Open verifies every entry first.
	OpenFromCheckpoint bool

	// BusyTimeout bounds waiting for another process's write lock; an
	// append that waits longer fails with ErrLocked. Default 5s.
	BusyTimeout time.Duration
	// MaxBatch caps how many appends share one transaction; default 512.
	MaxBatch int
	// Now returns the time stamped on entries; default time.Now.
	Now func() time.Time
}

// DefaultOptions returns Options with the key files in keysDir
// (audit.key, checkpoint.key, checkpoint.pub) and checkpoints in
// checkpointDir; engine/paths gives both (Layout.KeysDir,
// Layout.CheckpointDir).
func DefaultOptions(keysDir, checkpointDir string) Options {
	return Options{
		AuditKeyFile:           filepath.Join(keysDir, AuditKeyName),
		CheckpointKeyFile:      filepath.Join(keysDir, CheckpointKeyName),
		CheckpointVerifierFile: filepath.Join(keysDir, CheckpointVerifierName),
		CheckpointDir:          checkpointDir,
	}
}

func (o *Options) setDefaults() error {
	if o.AuditKeyFile == "" || o.CheckpointKeyFile == "" || o.CheckpointVerifierFile == "" || o.CheckpointDir == "" {
		return errors.New("ledger: options need AuditKeyFile, CheckpointKeyFile, CheckpointVerifierFile and CheckpointDir")
	}
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = 1000
	}
	if o.CheckpointInterval == 0 {
		o.CheckpointInterval = time.Minute
	}
	if o.CheckpointHistory <= 0 {
		o.CheckpointHistory = 64
	}
	if o.CheckpointKeyName == "" {
		o.CheckpointKeyName = "ony-tui-ledger"
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 512
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}
