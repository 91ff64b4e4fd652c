// Package ledgertest builds large ledgers quickly for tests and benchmarks
// outside the ledger package. Production code never imports it.
package ledgertest

import (
	"context"
	"path/filepath"

	"github.com/ony-dev/ony-tui/ledger"
	"github.com/ony-dev/ony-tui/ledger/internal/vectorgen"
)

// Bulk creates the ledger at dbPath, with its keys in keysDir and
// checkpoints in checkpointDir (both existing, 0700), holding n sample
// entries with valid hashes and links. The entries are inserted in one
// transaction and no checkpoint covers them yet: the next ledger.Open
// verifies them and anchors them.
func Bulk(ctx context.Context, dbPath, keysDir, checkpointDir string, n int) error {
	return vectorgen.Bulk(ctx, vectorgen.Layout{
		Dir:           filepath.Dir(dbPath),
		DB:            dbPath,
		KeysDir:       keysDir,
		CheckpointDir: checkpointDir,
		VerifyKey:     filepath.Join(keysDir, ledger.AuditKeyName),
	}, n)
}
