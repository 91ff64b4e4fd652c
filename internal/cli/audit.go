package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/ony-dev/ony-tui/internal/app"
	"github.com/ony-dev/ony-tui/ledger/ledgercli"
)

func newVerifyCmd(g *globals, stdout, stderr io.Writer) *cobra.Command {
	var o ledgercli.VerifyOptions
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Recompute the audit ledger's hash chain and check it against the signed checkpoints",
		Long: `Recomputes every entry's keyed hash from the first (or --from) to the last,
checks every link, and compares the ledger with the signed checkpoints, which
catch deleted tail entries and a file replaced by an older copy. The first
problem is named with its entry number and reason.

Exit codes: 0 intact, 1 tampered, 2 could not check (wrong key, unreadable
input, no checkpoint to compare with). Without --db, this home's ledger file
missing or destroyed while its keys or checkpoints exist is tampering (1).
--json prints one object (schema in docs/LEDGER-FORMAT.md).`,
		Example: `  ony-tui verify
  ony-tui verify --json
  ony-tui verify --db copy/ledger.db --key copy/audit.key --checkpoint copy/latest --checkpoint-key copy/checkpoint.pub`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := g.layout()
			if err != nil {
				return err
			}
			lo := app.LedgerOptions(l)
			if o.DB == "" {
				o.DB, o.Home = l.LedgerFile, true
			}
			if o.AuditKeyFile == "" {
				o.AuditKeyFile = lo.AuditKeyFile
			}
			if o.CheckpointVerifierFile == "" {
				o.CheckpointVerifierFile = lo.CheckpointVerifierFile
			}
			if o.CheckpointFile == "" {
				o.CheckpointDir = l.CheckpointDir
			}
			if !o.JSON {
				o.Progress = progressOnTerminal("verifying")
			}
			if code := ledgercli.Verify(cmd.Context(), o, stdout, stderr); code != 0 {
				return exitError{code: code}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.DB, "db", "", "ledger file (default: this home's)")
	f.StringVar(&o.AuditKeyFile, "key", "", "audit key file (default: this home's)")
	f.StringVar(&o.CheckpointFile, "checkpoint", "", "a signed checkpoint file to check against (default: this home's checkpoints)")
	f.StringVar(&o.CheckpointVerifierFile, "checkpoint-key", "", "checkpoint verifier (public) key file (default: this home's)")
	f.Uint64Var(&o.From, "from", 0, "first entry to check (trusting the stored hash of the one before)")
	f.BoolVar(&o.JSON, "json", false, "print one JSON object for scripts")
	return cmd
}

func newLogCmd(g *globals, stdout, stderr io.Writer) *cobra.Command {
	var o ledgercli.LogOptions
	cmd := &cobra.Command{
		Use:   "log",
		Short: "List audit ledger entries with their verification status",
		Long: `Lists the ledger's entries, verifying every one from the first whatever the
filters, under a header row: the entry, its status, kind, action, risk,
decision and who decided (auto, keypad, code, touch, phone, remembered, or
Ony's own timeout, kill switch, policy), then its target and detail.
--stats prints instead what Ony decided over the matching entries (with
--json, one object for scripts).

An entry an older version recorded with a secret in its target,
detail or hint is printed redacted and marked "secret suspected"
("secret_suspected": true with --json): rotate that secret (README). The
ledger itself is never rewritten.`,
		Example: `  ony-tui log --limit 20
  ony-tui log --stats
  ony-tui log --stats --since 7d --json | jq .day
  ony-tui log --since 2h --decision deny
  ony-tui log --json --follow | jq .
  ony-tui log --json | jq 'select(.secret_suspected)'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := g.layout()
			if err != nil {
				return err
			}
			if o.DB == "" {
				o.DB = l.LedgerFile
			}
			if o.AuditKeyFile == "" {
				o.AuditKeyFile = app.LedgerOptions(l).AuditKeyFile
			}
			if code := ledgercli.Log(cmd.Context(), o, stdout, stderr); code != 0 {
				return exitError{code: code}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.DB, "db", "", "ledger file (default: this home's)")
	f.StringVar(&o.AuditKeyFile, "key", "", "audit key file (default: this home's)")
	f.BoolVar(&o.JSON, "json", false, "JSON Lines, one entry per line")
	f.BoolVarP(&o.Follow, "follow", "f", false, "keep printing new entries")
	f.StringVar(&o.Since, "since", "", "entries from a seq (40), a duration (2h) or an RFC 3339 time on")
	f.StringVar(&o.Action, "action", "", "only this action (e.g. git.push.force)")
	f.StringVar(&o.Decision, "decision", "", "only this decision (approve, deny)")
	f.IntVarP(&o.Limit, "limit", "n", 0, "only the last N matching entries")
	f.BoolVar(&o.Stats, "stats", false, "what Ony decided over the matching entries: decisions per hour by risk, held and how it ended, answer times, most held actions")
	return cmd
}
