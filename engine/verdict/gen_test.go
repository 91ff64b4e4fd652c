package verdict

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"
)

var updateVectors = flag.Bool("update-vectors", false, "rewrite testdata/vectors.json (only for a new format version)")

// TestGenerateVectors rewrites the frozen vectors when -update-vectors is set.
func TestGenerateVectors(t *testing.T) {
	if !*updateVectors {
		t.Skip("vectors are frozen; pass -update-vectors to rewrite them")
	}
	key := bytes.Repeat([]byte{0x42}, 32)
	s, _ := NewHMACSigner("dev_2b7e4a90", key)
	approve := sampleVerdict()
	deny := &Verdict{RequestID: "req_0000000000000001", AgentSessionID: "", Action: "unknown",
		Target: "", Risk: "critical", Decision: Deny, Reason: "approval timed out: ask the user",
		IssuedAt: At(time.UnixMilli(1782829327000)), ExpiresAt: At(time.UnixMilli(1782829387000)),
		Nonce: "ffeeddccbbaa99887766554433221100", RequestDigest: hex.EncodeToString(make([]byte, 32)),
		Factors: []string{}, LedgerSeq: 1}
	var out []vector
	for desc, v := range map[string]*Verdict{"critical approve with keypad and totp": approve, "deny at deadline": deny} {
		if err := Sign(v, s); err != nil {
			t.Fatal(err)
		}
		b, _ := Marshal(v)
		out = append(out, vector{Desc: desc, KeyHex: hex.EncodeToString(key), DeviceID: s.DeviceID(), Verdict: b, Signature: v.Signature})
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	if err := os.WriteFile("testdata/vectors.json", append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
