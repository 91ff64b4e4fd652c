-- 0001: the ledger's tables (docs/LEDGER-FORMAT.md §2).
--
-- entries holds one row per entry. seq is the INTEGER PRIMARY KEY, so it is
-- unique: two writers extending the same head collide loudly instead of
-- forking the chain. rec is the entry's record (docs/LEDGER-FORMAT.md §4),
-- hash its HMAC-SHA256 under the audit key (§3).
CREATE TABLE entries (
    seq  INTEGER PRIMARY KEY CHECK (seq >= 1),
    rec  BLOB    NOT NULL CHECK (length(rec) >= 49),
    hash BLOB    NOT NULL CHECK (length(hash) = 32)
) STRICT;

-- meta holds the ledger id (the checkpoint origin's suffix) and the
-- highest seq ever committed (head_seq), updated in every append
-- transaction. Neither is covered by the chain; both only sharpen
-- diagnoses and are cross-checked against signed checkpoints.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
