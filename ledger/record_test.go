package ledger_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ony-dev/ony-tui/ledger"
)

// TestRecordBytes pins the record layout of docs/LEDGER-FORMAT.md §4. If it
// fails, existing ledgers no longer verify: do not change the bytes, add a
// new record version instead.
func TestRecordBytes(t *testing.T) {
	e := ledger.Entry{
		Seq:           2,
		Prev:          ledger.Hash{0xaa, 31: 0xbb},
		Time:          time.Unix(0, 0x0102030405060708).UTC(),
		Kind:          ledger.KindVerdict,
		RequestID:     "r1",
		Action:        "git.push",
		Decision:      "deny",
		Factors:       []string{"totp", "yubikey"},
		RequestDigest: "",
		Step:          7,
		Detail:        "x",
	}
	want := []byte{
		0, 0, 0, 0, 0, 0, 0, 2, // seq, u64 big-endian
		0xaa, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // prev, 32 bytes
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbb,
		1, 2, 3, 4, 5, 6, 7, 8, // time, i64 big-endian Unix nanoseconds
		2,                    // kind: verdict
		0, 0, 0, 2, 'r', '1', // request id: u32 length, bytes
		0, 0, 0, 0, // session id: empty
		0, 0, 0, 0, // harness: empty
		0, 0, 0, 8, 'g', 'i', 't', '.', 'p', 'u', 's', 'h', // action
		0, 0, 0, 0, // target
		0, 0, 0, 0, // risk
		0, 0, 0, 0, // risk hint
		0, 0, 0, 4, 'd', 'e', 'n', 'y', // decision
		0, 0, 0, 0, // device id
		0, 0, 0, 2, // factor count, u32
		0, 0, 0, 4, 't', 'o', 't', 'p',
		0, 0, 0, 7, 'y', 'u', 'b', 'i', 'k', 'e', 'y',
		0, 0, 0, 0, // request digest
		0, 0, 0, 0, 0, 0, 0, 7, // step, u64
		0, 0, 0, 1, 'x', // detail
	}
	got := ledger.AppendRecord(nil, &e)
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("record bytes (-want +got):\n%s", d)
	}
	back, err := ledger.DecodeRecord(got)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(e, back); d != "" {
		t.Fatalf("decode(encode(e)) (-want +got):\n%s", d)
	}

	// hash = HMAC-SHA256(key, "ony-tui/ledger/entry/v1\x00" ‖ record), §3.
	key := bytes.Repeat([]byte{0x42}, 32)
	m := hmac.New(sha256.New, key)
	m.Write([]byte("ony-tui/ledger/entry/v1\x00"))
	m.Write(want)
	var wantHash ledger.Hash
	copy(wantHash[:], m.Sum(nil))
	if h := ledger.RecordHash(key, got); h != wantHash {
		t.Fatalf("RecordHash = %s, want %s", h, wantHash)
	}
	// Known answer, also printed in docs/LEDGER-FORMAT.md §3.
	const pinned = "c2959a0d8a3d76caf0165cc5437fd4cf3af67affe911ddd6ec8f454b39fe5485"
	if wantHash.String() != pinned {
		t.Fatalf("known-answer hash %s, want %s", wantHash, pinned)
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	good := ledger.AppendRecord(nil, &ledger.Entry{Seq: 1, Kind: ledger.KindRequest, Action: "a"})
	for name, rec := range map[string][]byte{
		"empty":          nil,
		"short header":   good[:48],
		"truncated":      good[:len(good)-1],
		"trailing":       append(append([]byte{}, good...), 0),
		"field too long": append(append([]byte{}, good[:49]...), 0xff, 0xff, 0xff, 0xff),
	} {
		if _, err := ledger.DecodeRecord(rec); err == nil {
			t.Errorf("%s: DecodeRecord accepted %d bytes", name, len(rec))
		}
	}
	many := ledger.Entry{Seq: 1, Kind: ledger.KindVerdict, Factors: make([]string, ledger.MaxFactors+1)}
	if _, err := ledger.DecodeRecord(ledger.AppendRecord(nil, &many)); err == nil || !strings.Contains(err.Error(), "factors") {
		t.Errorf("DecodeRecord with %d factors: %v, want a factor count error", ledger.MaxFactors+1, err)
	}
}

func TestKindNamesAndText(t *testing.T) {
	seen := map[string]bool{}
	for i, k := range ledger.Kinds() {
		if uint8(k) != uint8(i+1) {
			t.Fatalf("Kinds()[%d] = %d, want %d", i, k, i+1)
		}
		name := k.String()
		if seen[name] || strings.Contains(name, "?") {
			t.Fatalf("kind %d has bad or duplicate name %q", k, name)
		}
		seen[name] = true
		var back ledger.Kind
		if err := back.UnmarshalText([]byte(name)); err != nil || back != k {
			t.Fatalf("UnmarshalText(%q) = %d, %v", name, back, err)
		}
	}
	// Persisted values: these must never change.
	for k, want := range map[ledger.Kind]uint8{ledger.KindRequest: 1, ledger.KindVerdict: 2, ledger.KindCodeFailed: 8,
		ledger.KindConsoleStarted: 14, ledger.KindTaxonomyLoaded: 16, ledger.KindAwayChanged: 17, ledger.KindPhoneEnded: 18, ledger.KindChainStarted: 19} {
		if uint8(k) != want {
			t.Errorf("%s = %d, want %d", k, k, want)
		}
	}
	if ledger.KindInvalid.Valid() || ledger.Kind(200).Valid() || ledger.Kind(200).String() != "kind?<200>" {
		t.Fatal("invalid kinds misreported")
	}
	var k ledger.Kind
	if err := k.UnmarshalText([]byte("kind?<200>")); err != nil || k != 200 {
		t.Fatalf("UnmarshalText(kind?<200>) = %d, %v", k, err)
	}
	if err := k.UnmarshalText([]byte("nonsense")); err == nil {
		t.Fatal("UnmarshalText accepted nonsense")
	}
}

func TestHashText(t *testing.T) {
	h := ledger.Hash{1, 2, 3, 31: 0xff}
	b, err := json.Marshal(struct{ H ledger.Hash }{h})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"H":"010203` + strings.Repeat("00", 28) + `ff"}`; string(b) != want {
		t.Fatalf("json %s, want %s", b, want)
	}
	back, err := ledger.ParseHash(h.String())
	if err != nil || back != h {
		t.Fatalf("ParseHash(String()) = %s, %v", back, err)
	}
	for _, bad := range []string{"", "00", strings.Repeat("zz", 32), strings.Repeat("00", 33)} {
		if _, err := ledger.ParseHash(bad); err == nil {
			t.Errorf("ParseHash(%q) succeeded", bad)
		}
	}
	if !(ledger.Hash{}).IsZero() || h.IsZero() || h.Short() != "010203"+"00…" {
		t.Fatalf("IsZero/Short wrong: %q", h.Short())
	}
}
