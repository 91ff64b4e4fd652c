package verdict

import (
	"encoding/binary"
	"strings"
)

// Prefix separates verdict signatures from every other thing Ony signs or
// hashes. See docs/VERDICT-FORMAT.md §2.
const Prefix = "ony/verdict/v1\x00"

// SigningBytes returns the canonical bytes the signature covers: Prefix,
// then, in this order, alg, key_id, approver_device_id, request_id,
// agent_session_id, action, target, risk, decision, reason (each a 4-byte
// big-endian length and the UTF-8 bytes), issued_at and expires_at (8-byte
// big-endian signed Unix milliseconds), nonce, request_digest (strings),
// factors (4-byte count, then each string), ledger_seq (8-byte big-endian).
// The alg is the one named in the signature field.
func SigningBytes(v *Verdict, alg Alg) []byte {
	n := len(Prefix) + 8*3 + 4*15 + len(alg) + len(v.KeyID) + len(v.ApproverDeviceID) +
		len(v.RequestID) + len(v.AgentSessionID) + len(v.Action) + len(v.Target) + len(v.Risk) +
		len(v.Decision) + len(v.Reason) + len(v.Nonce) + len(v.RequestDigest)
	for _, f := range v.Factors {
		n += 4 + len(f)
	}
	b := make([]byte, 0, n)
	b = append(b, Prefix...)
	str := func(s string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	str(string(alg))
	str(v.KeyID)
	str(v.ApproverDeviceID)
	str(v.RequestID)
	str(v.AgentSessionID)
	str(v.Action)
	str(v.Target)
	str(v.Risk)
	str(string(v.Decision))
	str(v.Reason)
	b = binary.BigEndian.AppendUint64(b, uint64(v.IssuedAt.UnixMilli()))
	b = binary.BigEndian.AppendUint64(b, uint64(v.ExpiresAt.UnixMilli()))
	str(v.Nonce)
	str(v.RequestDigest)
	b = binary.BigEndian.AppendUint32(b, uint32(len(v.Factors)))
	for _, f := range v.Factors {
		str(f)
	}
	b = binary.BigEndian.AppendUint64(b, v.LedgerSeq)
	return b
}

// splitSignature splits "<alg>:<hex>".
func splitSignature(sig string) (Alg, string, bool) {
	alg, hexSig, ok := strings.Cut(sig, ":")
	if !ok || alg == "" || hexSig == "" {
		return "", "", false
	}
	return Alg(alg), hexSig, true
}
