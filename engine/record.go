package engine

// RecordKind names what an audit record is about. The ledger maps these to
// its persisted kinds.
type RecordKind string

// Record kinds the engine writes.
const (
	RecRequest        RecordKind = "request"       // a request that waits for a human
	RecVerdict        RecordKind = "verdict"       // a decision on a waiting request, or an immediate deny
	RecAutoAllow      RecordKind = "auto-allow"    // a request allowed by policy, in one record
	RecKillEngaged    RecordKind = "kill-engaged"  // kill switch engaged
	RecKillReleased   RecordKind = "kill-released" // kill switch released
	RecCodeFailed     RecordKind = "code-failed"   // a wrong 6-digit code
	RecCodeLocked     RecordKind = "code-locked"   // the code path locked after too many failures
	RecCodeUnlocked   RecordKind = "code-unlocked" // the owner unlocked the code path
	RecAwayChanged    RecordKind = "away-changed"  // the owner marked away or back
	RecConsoleStarted RecordKind = "console-started"
	RecConsoleStopped RecordKind = "console-stopped"
	RecTaxonomyLoaded RecordKind = "taxonomy-loaded" // Detail holds "sha256:<hex>"
	RecDeviceEnrolled RecordKind = "device-enrolled"
	RecDeviceRevoked  RecordKind = "device-revoked"
	RecPhonePlaced    RecordKind = "phone-placed"
	RecPhoneAnswered  RecordKind = "phone-answered"
	RecPhoneFailed    RecordKind = "phone-failed"
)

// Record is one audit event as the engine reports it. It never holds raw
// commands, file contents, codes or secrets: the tool call is represented by
// its digest.
type Record struct {
	Kind          RecordKind
	RequestID     string
	SessionID     string
	Harness       string
	Action        string
	Target        string
	Risk          string
	RiskHint      string
	Decision      string
	DeviceID      string
	Factors       []string
	RequestDigest string
	Step          uint64
	Detail        string
}
