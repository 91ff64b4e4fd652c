package verdict

import (
	"bytes"
	"testing"
)

// FuzzParseVerify feeds arbitrary bytes through Parse and Verify. It must
// never panic, and anything that verifies must sign exactly the same bytes as
// the genuine verdict: no other content can pass.
func FuzzParseVerify(f *testing.F) {
	s, kr := hmacSetup(&testing.T{})
	genuine := sampleVerdict()
	if err := Sign(genuine, s); err != nil {
		f.Fatal(err)
	}
	b, _ := Marshal(genuine)
	f.Add(b)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"signature":"hmac-sha256:"}`))
	f.Add(bytes.Replace(b, []byte("approve"), []byte("deny"), 1))
	want := expectFor(genuine)
	genuineBytes := SigningBytes(genuine, HMACSHA256)
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := Parse(in)
		if err != nil {
			return
		}
		if err := Verify(v, kr, want); err == nil {
			if !bytes.Equal(SigningBytes(v, HMACSHA256), genuineBytes) {
				t.Fatalf("forged verdict verified: %s", in)
			}
		}
	})
}
