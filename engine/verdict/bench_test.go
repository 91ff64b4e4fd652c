package verdict

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSignVerify compares the two signature algorithms on a typical
// verdict: HMAC-SHA256 (the per-user install's software devices) and ECDSA
// P-256 (YubiKeys, and every software device of a system install, where
// the hook holds public keys only). Sign is the engine's cost per verdict,
// Verify the hook's.
func BenchmarkSignVerify(b *testing.B) {
	key := bytes.Repeat([]byte{0x42}, 32)
	hs, err := NewHMACSigner("dev_2b7e4a90", key)
	if err != nil {
		b.Fatal(err)
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	es, err := NewECDSASigner("dev_5c1d9e02", priv)
	if err != nil {
		b.Fatal(err)
	}
	kr := testKeyring{
		"dev_2b7e4a90": {DeviceID: "dev_2b7e4a90", KeyID: hs.KeyID(), Alg: HMACSHA256, Secret: key},
		"dev_5c1d9e02": {DeviceID: "dev_5c1d9e02", KeyID: es.KeyID(), Alg: ECDSAP256SHA256, Public: &priv.PublicKey},
	}
	for _, s := range []Signer{hs, es} {
		b.Run(string(s.Alg())+"/sign", func(b *testing.B) {
			v := sampleVerdict()
			defer cpuPerOp(b)()
			for b.Loop() {
				if err := Sign(v, s); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(s.Alg())+"/verify", func(b *testing.B) {
			v := sampleVerdict()
			if err := Sign(v, s); err != nil {
				b.Fatal(err)
			}
			want := expectFor(v)
			defer cpuPerOp(b)()
			for b.Loop() {
				if err := Verify(v, kr, want); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// cpuPerOp reports the CPU time per operation when the returned func runs:
// on a shared machine it moves far less than ns/op.
func cpuPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/1e3/float64(b.N), "cpu-µs/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
