// Package trust decides which certificate authorities a YubiKey's
// attestation must chain to. The zero Roots is Yubico's PIV roots, as
// piv-go embeds them, and nothing else.
//
// Only code under engine/yubikey can import this package, and only the
// virtual card (engine/yubikey/vcard, test tooling) builds other Roots,
// with Test. No flag, environment variable or file reaches it: the ony-tui
// binary does not link vcard (TestShippedBinaryDoesNotImportTheVirtualCard)
// and no other package calls Test (TestOnlyTheVirtualCardBuildsTestRoots).
package trust

import (
	"crypto/x509"

	"github.com/go-piv/piv-go/v2/piv"
)

// Roots are the CAs an attestation must chain to.
type Roots struct{ pool *x509.CertPool }

// Test returns Roots that trust pool instead of Yubico's roots: a virtual
// card's test CA. Production code never calls it.
func Test(pool *x509.CertPool) Roots { return Roots{pool: pool} }

// Yubico reports whether these are Yubico's roots.
func (r Roots) Yubico() bool { return r.pool == nil }

// Verify checks that slotCert is signed by the card's attestation
// certificate att, which chains to the roots, and returns what the
// attestation says about the key.
func (r Roots) Verify(att, slotCert *x509.Certificate) (*piv.Attestation, error) {
	v := piv.Verifier{Roots: r.pool} // nil: piv-go's embedded Yubico roots
	return v.Verify(att, slotCert)
}
