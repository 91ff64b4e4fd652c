// Package verdict defines Ony's signed verdicts: the statement, bound to one
// request, that the engine sends the hook and the hook checks before it lets
// a tool call run.
//
// The signature covers every field but itself, over the canonical encoding
// specified in docs/VERDICT-FORMAT.md: a domain-separation prefix, then each
// field in a fixed order, strings length-prefixed. The algorithm is fixed by
// the signing device's registered key, never by the verdict.
package verdict

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Decision is what a verdict says about the request.
type Decision string

// Decisions. There is no third value: anything else is invalid and denied.
const (
	Approve Decision = "approve"
	Deny    Decision = "deny"
)

// Alg names a signature algorithm.
type Alg string

// Algorithms. Console, engine and phone devices sign with HMAC-SHA256 keys;
// a YubiKey signs with ECDSA P-256 over SHA-256 and is verified with its
// public key alone.
const (
	HMACSHA256      Alg = "hmac-sha256"
	ECDSAP256SHA256 Alg = "ecdsa-p256-sha256"
)

// Factors name how an approval was given.
const (
	FactorAuto    = "auto"    // allowed by policy without a human
	FactorKeypad  = "keypad"  // a deliberate key at the console
	FactorTOTP    = "totp"    // a valid 6-digit code
	FactorYubiKey = "yubikey" // a touch on an enrolled YubiKey
	FactorPhone   = "phone"   // a keypress on a phone call
	// FactorRemembered: approved by the engine with a standing answer the
	// owner gave at a console for this agent session (the console's R).
	FactorRemembered = "remembered"
)

// Verdict is a signed decision about one request. Field meanings are in
// docs/VERDICT-FORMAT.md.
type Verdict struct {
	RequestID        string   `json:"request_id"`
	AgentSessionID   string   `json:"agent_session_id"`
	Action           string   `json:"action"`
	Target           string   `json:"target"`
	Risk             string   `json:"risk"`
	Decision         Decision `json:"decision"`
	Reason           string   `json:"reason"`
	ApproverDeviceID string   `json:"approver_device_id"`
	KeyID            string   `json:"key_id"`
	IssuedAt         Time     `json:"issued_at"`
	ExpiresAt        Time     `json:"expires_at"`
	Nonce            string   `json:"nonce"`
	RequestDigest    string   `json:"request_digest"`
	Factors          []string `json:"factors"`
	LedgerSeq        uint64   `json:"ledger_seq"`
	// Signature is "<alg>:<lowercase hex>".
	Signature string `json:"signature"`
}

// Time is a verdict timestamp: UTC with millisecond precision, encoded in
// JSON as RFC 3339 ("2026-06-30T14:22:07.000Z").
type Time struct{ time.Time }

// TimeLayout is the JSON layout of a verdict timestamp.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// At returns t as a verdict Time, truncated to the millisecond in UTC.
func At(t time.Time) Time { return Time{t.UTC().Truncate(time.Millisecond)} }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(TimeLayout) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler. It accepts RFC 3339 only.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("verdict time: %w", err)
	}
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("verdict time: %w", err)
	}
	*t = At(p)
	return nil
}

// Marshal encodes v as JSON.
func Marshal(v *Verdict) ([]byte, error) {
	return json.Marshal(v)
}

// MaxSize is the largest encoded verdict Parse accepts.
const MaxSize = 64 << 10

// Parse decodes a verdict strictly: unknown fields, duplicate trailing data
// and oversized input are refused. It does not verify anything.
func Parse(b []byte) (*Verdict, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes is over the %d limit", ErrMalformed, len(b), MaxSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var v Verdict
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data", ErrMalformed)
	}
	return &v, nil
}
