package ledgercli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

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
	// Home says DB is the home's own ledger (no --db given): when that file
	// is missing, empty or unreadable while the home's audit key or
	// checkpoints exist, its history was deleted or destroyed, which is
	// reported as tampering (exit 1), not as a wrong path.
	Home bool
	// Progress, when set, is told how far the verification is (entries done
	// and expected), and once more with total 0 when it ends; the CLI shows
	// it on a terminal.
	Progress func(done, total uint64)
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
		for _, h := range err.hints {
			hintf(stderr, "%s", h)
		}
		return err.code
	}
	code := int(rep.Outcome())
	if code == ExitIntact {
		fmt.Fprintln(stdout, summary(&rep))
		return code
	}
	reportProblems(stderr, &rep, opts)
	return code
}

// cliError is a failure to check, with its exit code (2, or 1 when what
// stopped the check is itself evidence of tampering) and hints.
type cliError struct {
	err   error
	code  int
	hints []string
}

func cannot(err error, hints ...string) *cliError {
	return &cliError{err: err, code: ExitCannot, hints: hints}
}

func runVerify(ctx context.Context, opts VerifyOptions) (ledger.Report, *cliError) {
	var rep ledger.Report
	src := ledger.VerifySources{AuditKeyFile: opts.AuditKeyFile, CheckpointFile: opts.CheckpointFile,
		CheckpointDir: opts.CheckpointDir, CheckpointVerifierFile: opts.CheckpointVerifierFile}
	st, err := ledger.InspectFile(opts.DB)
	if err != nil {
		return rep, cannot(err)
	}
	if opts.Home && st.Kind == ledger.FileMissing && !exists(opts.AuditKeyFile) {
		if notes, _ := ledger.ReadCheckpoints(opts.CheckpointDir); len(notes) == 0 {
			return rep, cannot(fmt.Errorf("no ledger yet at %s: nothing of Ony's is in this home", opts.DB),
				"start the console once (ony-tui) to create it, or pass a ledger copy with --db PATH")
		}
	}
	vo, err := ledger.LoadVerifyOptions(src)
	if err != nil {
		var se *ledger.SourceError
		errors.As(err, &se)
		switch {
		case se == nil:
			return rep, cannot(err)
		case se.Input == ledger.InputAuditKey:
			return rep, cannot(err, "pass the audit key of the console that wrote the ledger with --key FILE")
		case se.Input == ledger.InputCheckpoint && opts.CheckpointFile != "":
			return rep, cannot(err, "pass a signed checkpoint file with --checkpoint FILE, or leave it out to use the checkpoint directory")
		case se.Input == ledger.InputCheckpointVerifier:
			return rep, cannot(err, "the checkpoint cannot be checked without its verifier key: pass the console's checkpoint.pub with --checkpoint-key FILE")
		}
		return rep, cannot(err)
	}
	vo.From = opts.From
	gone := st.Kind == ledger.FileMissing || st.Kind == ledger.FileEmpty || st.Kind == ledger.FileNotRegular || st.Kind == ledger.FileNotSQLite
	if opts.Home && gone {
		// The audit key exists (it was read): a ledger was created here.
		return ledger.GoneReport(vo, st), nil
	}
	rep, err = ledger.Verify(ctx, opts.DB, vo, opts.Progress)
	if opts.Progress != nil {
		opts.Progress(0, 0)
	}
	switch {
	case err == nil:
		return rep, nil
	case errors.Is(err, fs.ErrNotExist):
		return rep, cannot(err, "pass the ledger file with --db PATH")
	case errors.Is(err, ledger.ErrTampered):
		return rep, &cliError{err: fmt.Errorf("ledger %s tampered: %w", opts.DB, err), code: ExitTampered,
			hints: RecoverySteps(opts.DB, opts.CheckpointDir)}
	case errors.Is(err, ledger.ErrNotLedger) && st.Kind == ledger.FileSQLite && !errors.Is(err, ledger.ErrNewerSchema):
		st.Found += " (" + err.Error() + ")"
		if opts.Home {
			return ledger.GoneReport(vo, st), nil
		}
		return rep, cannot(fmt.Errorf("%s is not a readable ony-tui ledger: it holds %s (%w)", opts.DB, st.Found, err),
			"--db must name an ony-tui ledger (ledger.db)")
	case errors.Is(err, ledger.ErrNotLedger):
		return rep, cannot(err, "--db must name an ony-tui ledger (ledger.db)")
	}
	return rep, cannot(err)
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// RecoverySteps say what to do about a ledger that is deleted, damaged,
// truncated or rolled back: the console prints them when it refuses to
// start, verify as hints.
func RecoverySteps(db, checkpointDir string) []string {
	return []string{
		fmt.Sprintf("keep what is there for investigation: copy %s* and %s somewhere safe before changing anything", db, checkpointDir),
		fmt.Sprintf("restore %s from a backup that contains the latest checkpoint, and check it with \"%s verify\"", db, Program),
		fmt.Sprintf("or start a new chain deliberately, at a terminal: \"%s serve --new-chain\" (it moves the old files into the archive and records their last signed head; nothing is deleted)", Program),
	}
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

// reportProblems prints the first problem, the other kinds of problem if
// there are any, and hints.
func reportProblems(w io.Writer, rep *ledger.Report, opts VerifyOptions) {
	first := rep.Problem()
	printProblem(w, first)
	for _, p := range []*ledger.ChainError{rep.Break, rep.Checkpoint.Problem, rep.Tail} {
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
	case ledger.ReasonTruncated, ledger.ReasonRolledBack, ledger.ReasonForked, ledger.ReasonOtherLedger,
		ledger.ReasonLedgerMissing, ledger.ReasonLedgerDamaged:
		for _, h := range RecoverySteps(opts.DB, checkpointPlace(opts)) {
			hintf(w, "%s", h)
		}
	case ledger.ReasonNoCheckpoint:
		hintf(w, "looked for signed checkpoints in %s and found none: restore that directory, or pass a checkpoint kept elsewhere with --checkpoint FILE", checkpointPlace(opts))
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

// checkpointPlace names where verify looked for checkpoints.
func checkpointPlace(opts VerifyOptions) string {
	if opts.CheckpointFile != "" {
		return opts.CheckpointFile
	}
	return opts.CheckpointDir
}

func printProblem(w io.Writer, p *ledger.ChainError) {
	switch p.Reason {
	case ledger.ReasonNoCheckpoint:
		errorf(w, "cannot show that the ledger ends at entry %s: %s", humanize.Count(p.Seq), p.Explain())
	case ledger.ReasonLedgerMissing, ledger.ReasonLedgerDamaged:
		errorf(w, "ledger tampered: %s", p.Explain())
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
		out.Status, out.ExitCode, out.Error = "error", cerr.code, cerr.err.Error()
		if cerr.code == ExitTampered {
			out.Status = "tampered"
		}
	} else {
		o := rep.Outcome()
		out.Status, out.ExitCode = o.String(), int(o)
		out.Origin, out.From, out.Entries, out.Verified = rep.Origin, rep.From, rep.Entries, rep.Verified
		out.Head = &linkJSON{Seq: rep.Head.Seq, Hash: rep.Head.Hash.String()}
		out.Problem, out.Break, out.Tail = problemJSON(rep.Problem()), problemJSON(rep.Break), problemJSON(rep.Tail)
		out.HeadSeq = rep.HeadSeq
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
