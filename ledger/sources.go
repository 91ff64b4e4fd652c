package ledger

import (
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"
)

// VerifySources names the files a verification reads besides the ledger
// itself: the audit key, the signed checkpoints (one file, or a checkpoint
// directory with its history) and the checkpoint verifier key.
// [Options.VerifySources] gives those of an open ledger's files; verify
// takes them from its flags.
type VerifySources struct {
	AuditKeyFile string
	// CheckpointFile is one signed checkpoint; when set, CheckpointDir is
	// not read.
	CheckpointFile         string
	CheckpointDir          string
	CheckpointVerifierFile string
}

// VerifySources returns where o keeps the audit key, the checkpoints and
// the checkpoint verifier key.
func (o Options) VerifySources() VerifySources {
	return VerifySources{
		AuditKeyFile:           o.AuditKeyFile,
		CheckpointDir:          o.CheckpointDir,
		CheckpointVerifierFile: o.CheckpointVerifierFile,
	}
}

// Input names one of the files [LoadVerifyOptions] reads.
type Input uint8

// Inputs of a verification.
const (
	InputAuditKey           Input = iota + 1 // the audit key file
	InputCheckpoint                          // the checkpoint file or directory
	InputCheckpointVerifier                  // the checkpoint verifier key file
)

// SourceError says which input of a verification could not be read, so
// that a caller can say which option to fix.
type SourceError struct {
	Input Input
	Err   error
}

func (e *SourceError) Error() string { return e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

// LoadVerifyOptions reads what a verification needs from disk: the audit
// key, the signed checkpoints (the one file, or those of the directory)
// and, when there are checkpoints, their verifier key. A failure is a
// [*SourceError] naming the input. The notes are read before the caller
// reads the ledger, as [VerifyOptions.Checkpoints] requires.
func LoadVerifyOptions(s VerifySources) (VerifyOptions, error) {
	var o VerifyOptions
	key, err := LoadAuditKey(s.AuditKeyFile)
	if err != nil {
		return o, &SourceError{InputAuditKey, err}
	}
	var notes [][]byte
	switch {
	case s.CheckpointFile != "":
		b, err := os.ReadFile(s.CheckpointFile)
		if err != nil {
			return o, &SourceError{InputCheckpoint, fmt.Errorf("reading checkpoint: %w", err)}
		}
		notes = [][]byte{b}
	case s.CheckpointDir != "":
		if notes, err = ReadCheckpoints(s.CheckpointDir); err != nil {
			return o, &SourceError{InputCheckpoint, err}
		}
	}
	var verifier note.Verifier
	if len(notes) > 0 {
		if verifier, err = LoadCheckpointVerifier(s.CheckpointVerifierFile); err != nil {
			return o, &SourceError{InputCheckpointVerifier, err}
		}
	}
	return VerifyOptions{Key: key, Checkpoints: notes, CheckpointVerifier: verifier}, nil
}
