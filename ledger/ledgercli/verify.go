package ledgercli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/mod/sumdb/note"

	"github.com/ony-dev/ony-tui/internal/humanize"
	"github.com/ony-dev/ony-tui/ledger"
)

// VerifyOptions are the inputs of ony-tui verify. The paths default, in the
// caller, to engine/paths' Layout: LedgerFile, KeysDir/audit.key,
// CheckpointDir and KeysDir/checkpoint.pub.
type VerifyOptions struct {
	DB                     string // --db: the ledger file
	AuditKeyFile           string // --key: the audit key file
	CheckpointFile         string // --checkpoint: one signed checkpoint file; overrides CheckpointDir
	CheckpointDir          string // the checkpoint directory (latest and history), used when CheckpointFile is empty
	CheckpointVerifierFile string // --checkpoint-key: the checkpoint verifier (public) key file
	From                   uint64 // --from: first entry to check; 0 or 1 for all
	JSON                   bool   // --json: print the report as one JSON object (docs/LEDGER-FORMAT.md §8)
}

// Verify checks a ledger end to end and its signed checkpoints, prints the
// outcome, and returns the exit code: 0 intact, 1 tampered, 2 could not
// check. On success it prints one summary line; on failure it prints error
// and hint lines on stderr. With JSON it prints one JSON object on stdout
// in every case and nothing on stderr.
func Verify(ctx context.Context, opts VerifyOptions, stdout, stderr io.Writer) int {
	rep, err := runVerify(ctx, opts)
	if opts.JSON {
		return writeVerifyJSON(stdout, opts, rep, err)
	}
	if err != nil {
		errorf(stderr, "%v", err.err)
		if err.hint != "" {
			hintf(stderr, "%s", err.hint)
		}
		return ExitCannot
	}
	code := int(rep.Outcome())
	if code == ExitIntact {
		fmt.Fprintln(stdout, summary(&rep))
		return code
	}
	reportProblems(stderr, &rep)
	return code
}

// cliError is a could-not-check failure with an optional hint.
type cliError struct {
	err  error
	hint string
}

func runVerify(ctx context.Context, opts VerifyOptions) (ledger.Report, *cliError) {
	var rep ledger.Report
	key, err := ledger.LoadAuditKey(opts.AuditKeyFile)
	if err != nil {
		return rep, &cliError{err, "pass the audit key of the console that wrote the ledger with --key FILE"}
	}
	var notes [][]byte
	if opts.CheckpointFile != "" {
		b, err := os.ReadFile(opts.CheckpointFile)
		if err != nil {
			return rep, &cliError{fmt.Errorf("reading checkpoint: %w", err), "pass a signed checkpoint file with --checkpoint FILE, or leave it out to use the checkpoint directory"}
		}
		notes = [][]byte{b}
	} else if opts.CheckpointDir != "" {
		if notes, err = ledger.ReadCheckpoints(opts.CheckpointDir); err != nil {
			return rep, &cliError{err, ""}
		}
	}
	var verifier note.Verifier
	if len(notes) > 0 {
		if verifier, err = ledger.LoadCheckpointVerifier(opts.CheckpointVerifierFile); err != nil {
			return rep, &cliError{err, "the checkpoint cannot be checked without its verifier key: pass the console's checkpoint.pub with --checkpoint-key FILE"}
		}
	}
	rep, err = ledger.Verify(ctx, opts.DB, ledger.VerifyOptions{Key: key, From: opts.From, Checkpoints: notes, CheckpointVerifier: verifier}, nil)
	if err != nil {
		hint := ""
		switch {
		case errors.Is(err, fs.ErrNotExist):
			hint = "pass the ledger file with --db PATH"
		case errors.Is(err, ledger.ErrNotLedger):
			hint = "--db must name an ony-tui ledger (ledger.db)"
		}
		return rep, &cliError{err, hint}
	}
	return rep, nil
}

// summary is the one line printed for an intact ledger.
func summary(rep *ledger.Report) string {
	s := "verified " + humanize.Plural(rep.Entries, "entry", "entries")
	if rep.From > 1 {
		s += fmt.Sprintf(" from entry %s", humanize.Count(rep.From))
	}
	s += ", head " + rep.Head.Hash.Short()
	switch c := rep.Checkpoint.Latest; {
	case c != nil:
		s += fmt.Sprintf(", checkpoint %s ok", humanize.Count(c.Size))
	default:
		s += ", no checkpoint (the newest entries are not anchored)"
	}
	return s
}

// reportProblems prints the first problem, the other kind of problem if
// there is one, and a hint.
func reportProblems(w io.Writer, rep *ledger.Report) {
	first := rep.Problem()
	printProblem(w, first)
	for _, p := range []*ledger.ChainError{rep.Break, rep.Checkpoint.Problem} {
		if p != nil && p != first {
			printProblem(w, p)
		}
	}
	switch first.Reason {
	case ledger.ReasonWrongKey:
		hintf(w, "pass the audit key of the console that wrote this ledger with --key FILE")
	case ledger.ReasonUnknownCheckpointKey:
		hintf(w, "pass the checkpoint.pub of the console that wrote this ledger with --checkpoint-key FILE")
	case ledger.ReasonUnknownKind:
		hintf(w, "this ledger was written by a newer ony-tui: verify it with that version")
	case ledger.ReasonBadCheckpointSignature:
		hintf(w, "compare the checkpoint with a copy kept elsewhere; the ledger itself was checked against the checkpoints that verify")
	case ledger.ReasonTruncated, ledger.ReasonRolledBack, ledger.ReasonForked, ledger.ReasonOtherLedger:
		hintf(w, "restore the ledger from a backup that contains the checkpoint, and keep the damaged file for investigation")
	default:
		before := rep.Verified
		after := rep.Entries - rep.Verified
		if after > 0 {
			after-- // the entry that broke
		}
		hintf(w, "%s verified before it; %s after it not verified, %s of them failing on their own; run \"%s log --since %d\" to see the surrounding entries",
			humanize.Plural(before, "entry", "entries"), humanize.Count(after), humanize.Count(rep.BadAfter), Program, max(first.Seq, 3)-2)
	}
}

func printProblem(w io.Writer, p *ledger.ChainError) {
	switch p.Reason {
	case ledger.ReasonWrongKey:
		errorf(w, "cannot verify the ledger: %s", p.Explain())
	case ledger.ReasonUnknownCheckpointKey:
		errorf(w, "cannot verify the checkpoint of %s: it is not signed by the given checkpoint verifier key", humanize.Plural(p.Seq, "entry", "entries"))
	case ledger.ReasonBadCheckpointSignature:
		errorf(w, "checkpoint of %s tampered with: its signature does not verify", humanize.Plural(p.Seq, "entry", "entries"))
	case ledger.ReasonOtherLedger:
		errorf(w, "checkpoint of %s belongs to another ledger: the ledger file was replaced, or the checkpoint is not this ledger's", humanize.Plural(p.Seq, "entry", "entries"))
	default:
		if p.Reason.CouldNotCheck() {
			errorf(w, "cannot verify entry %s: %s", humanize.Count(p.Seq), p.Explain())
			return
		}
		errorf(w, "ledger tampered at entry %s: %s", humanize.Count(p.Seq), p.Explain())
	}
}

// writeVerifyJSON prints the report in the verify JSON schema and returns
// the exit code.
func writeVerifyJSON(w io.Writer, opts VerifyOptions, rep ledger.Report, cerr *cliError) int {
	out := verifyJSON{Schema: VerifySchema, DB: opts.DB}
	if cerr != nil {
		out.Status, out.ExitCode, out.Error = "error", ExitCannot, cerr.err.Error()
	} else {
		o := rep.Outcome()
		out.Status, out.ExitCode = o.String(), int(o)
		out.Origin, out.From, out.Entries, out.Verified = rep.Origin, rep.From, rep.Entries, rep.Verified
		out.Head = &linkJSON{Seq: rep.Head.Seq, Hash: rep.Head.Hash.String()}
		out.Problem, out.Break = problemJSON(rep.Problem()), problemJSON(rep.Break)
		out.BadAfter = rep.BadAfter
		out.Checkpoint = &checkpointJSON{Given: rep.Checkpoint.Given, Checked: rep.Checkpoint.Checked, Problem: problemJSON(rep.Checkpoint.Problem)}
		if c := rep.Checkpoint.Latest; c != nil {
			out.Checkpoint.Latest = &latestJSON{Origin: c.Origin, Size: c.Size, Head: c.Head.String()}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return ExitCannot
	}
	return out.ExitCode
}
