package ledgercli

import (
	"github.com/ony-dev/ony-tui/engine/redact"
	"github.com/ony-dev/ony-tui/ledger"
)

// redactEntry masks the secrets in the text an entry holds (target, detail,
// risk hint) and reports whether there were any. Since targets, details and
// hints are redacted before they are recorded, an entry holding a secret
// was recorded by an older version: log shows it redacted and marks it
// (secret_suspected), and the owner should rotate that secret. The stored
// entry is never changed: it still verifies.
func redactEntry(e *ledger.Entry) bool {
	found := false
	for _, f := range []*string{&e.Target, &e.Detail, &e.RiskHint} {
		if r := redact.String(*f); r != *f {
			*f, found = r, true
		}
	}
	return found
}
