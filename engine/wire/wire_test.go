package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	msg := Ping{V: Version, Type: TypePing}
	if err := WriteFrame(&buf, msg); err != nil {
		t.Fatal(err)
	}
	body, err := ReadFrame(&buf, 0)
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != `{"v":1,"type":"ping"}` {
		t.Fatalf("body %s", body)
	}
	if _, err := ReadFrame(&buf, 0); !errors.Is(err, io.EOF) {
		t.Fatalf("clean end: %v", err)
	}
}

func TestFrameLimits(t *testing.T) {
	hdr := binary.BigEndian.AppendUint32(nil, MaxFrame+1)
	if _, err := ReadFrame(bytes.NewReader(hdr), 0); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
	hdr = binary.BigEndian.AppendUint32(nil, 100)
	if _, err := ReadFrame(bytes.NewReader(hdr), 50); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("over caller limit: %v", err)
	}
	if _, err := ReadFrame(bytes.NewReader(append(hdr, "short"...)), 0); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("truncated body: %v", err)
	}
	if _, err := ReadFrame(bytes.NewReader([]byte{0, 0}), 0); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("truncated header: %v", err)
	}
	big := Error{V: Version, Type: TypeError, Message: strings.Repeat("x", MaxFrame)}
	if err := WriteFrame(io.Discard, big); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("writing oversized: %v", err)
	}
}

func TestDecodeEnvelope(t *testing.T) {
	for in, ok := range map[string]bool{
		`{"v":1,"type":"ping"}`: true,
		`{"v":2,"type":"ping"}`: false,
		`{"v":1}`:               false,
		`[]`:                    false,
		``:                      false,
	} {
		if _, err := DecodeEnvelope([]byte(in)); (err == nil) != ok {
			t.Errorf("%q: %v", in, err)
		}
	}
	var p Ping
	if err := DecodeStrict([]byte(`{"v":1,"type":"ping","x":1}`), &p); err == nil {
		t.Fatal("unknown field accepted")
	}
	if err := DecodeStrict([]byte(`{"v":1,"type":"ping"}{}`), &p); err == nil {
		t.Fatal("trailing data accepted")
	}
}

// TestDigestVector freezes the tool-call digest (docs/VERDICT-FORMAT.md §3):
// the hook and the engine must compute it identically forever.
func TestDigestVector(t *testing.T) {
	c := ToolCall{Harness: "claude", Event: "PreToolUse", SessionID: "s1", ToolCallID: "toolu_01",
		CWD: "/work/proj", ToolName: "Bash", Kind: KindShell, Command: "git push --force origin main",
		Paths: []string{"a", "b"}, InputDigest: strings.Repeat("ab", 32), RiskHint: "low"}
	got := c.DigestHex()
	// Build the canonical bytes by hand and hash them independently.
	var b []byte
	b = append(b, "ony/toolcall/v1\x00"...)
	str := func(s string) { b = binary.BigEndian.AppendUint32(b, uint32(len(s))); b = append(b, s...) }
	for _, s := range []string{"claude", "PreToolUse", "s1", "toolu_01", "/work/proj", "", "Bash", "shell", "git push --force origin main"} {
		str(s)
	}
	b = binary.BigEndian.AppendUint32(b, 2)
	str("a")
	str("b")
	for _, s := range []string{"", "", "", "", strings.Repeat("ab", 32), "low"} {
		str(s)
	}
	if h := sha256hex(b); got != h {
		t.Fatalf("digest %s, canonical bytes give %s", got, h)
	}
	// Moving a path boundary changes the digest.
	c2 := c
	c2.Paths = []string{"ab"}
	if c2.DigestHex() == got {
		t.Fatal("paths [a b] and [ab] share a digest")
	}
	c3 := c
	c3.RiskHint = "critical"
	if c3.DigestHex() == got {
		t.Fatal("risk hint not bound")
	}
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// FuzzReadFrame feeds arbitrary bytes to the frame reader and the message
// decoders the server uses: they must never panic, never return a body over
// the limit, and a frame they accept must round-trip.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{0, 0, 0, 21, '{', '"', 'v', '"', ':', '1', ',', '"', 't', 'y', 'p', 'e', '"', ':', '"', 'p', 'i', 'n', 'g', '"', '}'})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 2, '{', '}'})
	f.Add(append([]byte{0, 0, 0, 40}, []byte(`{"v":1,"type":"request","nonce":"x","call":{}}`)...))
	f.Fuzz(func(t *testing.T, in []byte) {
		body, err := ReadFrame(bytes.NewReader(in), 4096)
		if err != nil {
			return
		}
		if len(body) > 4096 {
			t.Fatalf("body of %d bytes over the limit", len(body))
		}
		if env, err := DecodeEnvelope(body); err == nil && env.Type == TypeRequest {
			var req Request
			if DecodeStrict(body, &req) == nil {
				_ = req.Call.DigestHex()
			}
		}
	})
}

// TestVerdictFrameMatchesGenericEncoding: the hand-built verdict frame
// decodes to the same message as the generic encoder's.
func TestVerdictFrameMatchesGenericEncoding(t *testing.T) {
	raw := []byte(`{"request_id":"req_1","decision":"deny"}`)
	var a, b bytes.Buffer
	if err := WriteVerdictFrame(&a, raw); err != nil {
		t.Fatal(err)
	}
	if err := WriteFrame(&b, VerdictMsg{V: Version, Type: TypeVerdict, Verdict: raw}); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatalf("hand-built %q, generic %q", a.String(), b.String())
	}
	body, _ := ReadFrame(&a, 0)
	var m VerdictMsg
	if err := DecodeStrict(body, &m); err != nil || string(m.Verdict) != string(raw) {
		t.Fatalf("decoding: %v %s", err, m.Verdict)
	}
}

// TestEnvelopePrefixAgreesWithFullParse: wherever the prefix path answers,
// a full parse gives the same envelope.
func TestEnvelopePrefixAgreesWithFullParse(t *testing.T) {
	for _, in := range []string{
		`{"v":1,"type":"ping"}`,
		`{"v":1,"type":"request","nonce":"x"}`,
		`{"v":1,"type":"PING"}`,
		`{"v":1,"type":"pi\"ng"}`,
		`{"v":1,"type":""}`,
		`{"type":"ping","v":1}`,
	} {
		fast, ferr := DecodeEnvelope([]byte(in))
		var full Envelope
		uerr := json.Unmarshal([]byte(in), &full)
		if ferr == nil && (uerr != nil || full != fast) {
			t.Errorf("%s: prefix path %+v, full parse %+v (%v)", in, fast, full, uerr)
		}
	}
}

func TestCheckRouting(t *testing.T) {
	env, _ := DecodeEnvelope([]byte(`{"v":1,"type":"request","v":2}`))
	var r Request
	_ = DecodeStrict([]byte(`{"v":1,"type":"request","v":2}`), &r)
	if CheckRouting(env, r.V, r.Type) == nil {
		t.Fatal("a message with two versions passed")
	}
	env, _ = DecodeEnvelope([]byte(`{"v":1,"type":"request","nonce":"n"}`))
	_ = DecodeStrict([]byte(`{"v":1,"type":"request","nonce":"n"}`), &r)
	if err := CheckRouting(env, r.V, r.Type); err != nil {
		t.Fatal(err)
	}
}
