// Package ledger is Ony's tamper-evident audit log: every decision lands in
// a keyed, hash-chained, append-only log in SQLite that anyone holding the
// audit key can prove was not edited. The byte layout, the kinds, the key
// files, the checkpoint format and the verify output are specified in
// docs/LEDGER-FORMAT.md; this comment explains the design.
//
// # Entries and the chain
//
// An [Entry] records what happened (its [Kind]), to which request, action
// and target, at what risk, with which decision, device and factors, and
// digests of anything sensitive. Raw commands, file contents, codes and
// secrets never enter the ledger.
//
// Entry n is stored as its record (a canonical, length-prefixed encoding of
// seq, prev and every field, see [AppendRecord]) and its hash
//
//	hash(n) = HMAC-SHA256(audit key, EntryDomain ‖ record(n))
//
// where record(n) begins with n and prev = hash(n-1), the genesis entry
// linking to the zero hash. Changing, removing, inserting or reordering any
// entry breaks a link or a hash, and nobody without the audit key can
// recompute them. The audit key is 32 random bytes of its own, never a
// verdict or device key.
//
// # Appending
//
// [Ledger.Append] is safe for concurrent use and returns only after the
// entry is durably committed (WAL, synchronous=FULL): the engine releases a
// verdict only after its entry is in the ledger, and denies when Append
// fails. Appends are batched into group commits by one writer goroutine,
// one IMMEDIATE transaction per batch. Inside each transaction the writer
// reads the head, so other processes (CLI commands) may append to the same
// file; entries they added are verified before they are extended, and seq
// is the primary key, so a fork fails loudly instead of forking.
//
// # Checkpoints
//
// A hash chain cannot see its newest entries deleted, or the file replaced
// by an older copy. After every CheckpointEvery entries, every
// CheckpointInterval and at Close, the ledger signs a [Checkpoint] (origin,
// size, head hash) as a C2SP signed note with the console's Ed25519
// checkpoint key and stores it outside the database, with a bounded
// history. [Open] refuses a ledger shorter than the latest checkpoint or not
// containing it, and never silently starts a new chain where key files,
// checkpoints or [Options.PriorFiles] show one was kept ([ErrNoChain]);
// [StartNewChain] starts one deliberately, moving the earlier files into an
// archive and recording their last signed head. A same-user attacker
// who can read the checkpoint key can sign a checkpoint of their own, so the
// anchor is as strong as the place its copies are kept; the format document
// says what this does and does not defend.
//
// # Code state
//
// The engine keeps no state of its own for the 6-digit code path; it asks
// the ledger ([Ledger.MaxStep], [Ledger.CountSince], [Ledger.LastOf]), so a
// restart or a second process cannot reset a lock or replay a code. The
// answers come only from entries whose hashes and links verified.
//
// # Verification
//
// There is one verification implementation, the incremental [Verifier]: it
// checks each entry against the last verified head as it arrives. [Verify]
// streams a whole file through one in constant memory (readers on each core
// read rows and check their hashes, the Verifier checks the links in order)
// and compares the result with the signed checkpoints; [Open] runs the same
// pass before it appends anything (with [Options.OpenFromCheckpoint], on the
// entries after the latest checkpoint, and on the whole file in the
// background: [Ledger.FullCheck]), and the console's live view feeds a
// Verifier the entries it displays. The first problem is reported as a [*ChainError] naming the
// entry, the reason ([Reason]) and what was expected and found; entries
// after it that fail on their own are counted.
package ledger
