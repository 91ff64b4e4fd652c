package yubikey

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/go-piv/piv-go/v2/piv"

	"github.com/ony-dev/ony-tui/engine/yubikey/vcard"
)

// BenchmarkSignRoundTrip measures one verdict signature on the virtual
// card through pcscd and vsmartcard-vpcd, the touch answered at once:
// "helper" is the console's path (a piv helper process per signature),
// "in-process" the same without the helper, "open" only finding and
// opening the card (SELECT, GET VERSION, GET SERIAL), and "software" an
// ECDSA P-256 signature in memory, the floor.
func BenchmarkSignRoundTrip(b *testing.B) {
	c, _ := insert(b, vcard.Config{Serial: 4001}, 0)
	_, reg := registered(b, c, EnrollOptions{})
	c.SetAutoTouch(true)
	msg := []byte("ony/verdict/v1\x00 a verdict's signed bytes")
	for _, bc := range []struct {
		name string
		keys *Keys
	}{{"helper", isolatedKeys()}, {"in-process", NewKeys()}} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := bc.keys.Signer(context.Background(), activeYubiKeys(b, reg), "")
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.SignBytes(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("open", func(b *testing.B) {
		cards, err := piv.Cards()
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			yk, err := piv.Open(cards[0])
			if err != nil {
				b.Fatal(err)
			}
			if _, err := yk.Serial(); err != nil {
				b.Fatal(err)
			}
			yk.Close()
		}
	})
	b.Run("software", func(b *testing.B) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		for i := 0; i < b.N; i++ {
			d := sha256.Sum256(msg)
			if _, err := ecdsa.SignASN1(rand.Reader, k, d[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
