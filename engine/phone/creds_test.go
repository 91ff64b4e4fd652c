package phone

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testToken = "PT0123456789abcdefSECRETTOKEN"

func creds() Credentials {
	return Credentials{Space: "Example.SignalWire.com", Project: "4a3d1f2e-0000-4000-8000-00000000c0de", Token: Secret(testToken),
		From: "+14155550199", To: "+14155550123", Language: "en-US", DeviceID: "dev_0a1b2c3d"}
}

func keysDir(t *testing.T) string {
	d := filepath.Join(t.TempDir(), "keys")
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCredentialsRoundTrip(t *testing.T) {
	dir := keysDir(t)
	if _, err := LoadCredentials(dir); !errors.Is(err, ErrNotEnrolled) {
		t.Fatalf("no file: %v", err)
	}
	if err := SaveCredentials(dir, creds()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(CredentialsPath(dir))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode: %v %v", fi, err)
	}
	c, err := LoadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Token.Reveal() != testToken || c.Space != "example" || c.URL() != "wss://example.signalwire.com/api/relay/ws" || c.DeviceID != "dev_0a1b2c3d" {
		t.Fatalf("loaded %+v", c)
	}
}

// The token never prints, whatever the verb, and never reaches JSON output
// or a validation error.
func TestTokenNeverPrints(t *testing.T) {
	c := creds()
	for _, s := range []string{
		fmt.Sprintf("%v %+v %#v %s %q %x", c, c, c, c.Token, c.Token, c.Token),
		fmt.Sprint(c.Token), fmt.Sprintf("%v", &c),
	} {
		if strings.Contains(s, testToken) || strings.Contains(s, "5345435245") /* hex of SECRE */ {
			t.Fatalf("printed: %s", s)
		}
	}
	b, _ := json.Marshal(c)
	if strings.Contains(string(b), testToken) {
		t.Fatalf("json: %s", b)
	}
	bad := c
	bad.Token = Secret(testToken + " with space")
	if err := bad.Validate(); err == nil || strings.Contains(err.Error(), testToken) {
		t.Fatalf("validation error: %v", err)
	}
}

func TestCredentialsFileRefused(t *testing.T) {
	dir := keysDir(t)
	if err := SaveCredentials(dir, creds()); err != nil {
		t.Fatal(err)
	}
	path := CredentialsPath(dir)
	_ = os.Chmod(path, 0o644)
	if _, err := LoadCredentials(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a readable file: %v", err)
	}
	_ = os.Chmod(path, 0o600)
	// A symlink is refused even to a private file.
	real := filepath.Join(dir, "real.json")
	_ = os.Rename(path, real)
	_ = os.Symlink(real, path)
	if _, err := LoadCredentials(dir); err == nil {
		t.Fatal("a symlinked credentials file was read")
	}
	_ = os.Remove(path)
	// A broken file: the error never quotes it.
	_ = os.WriteFile(path, []byte(`{"version":1,"token":"`+testToken+`"`), 0o600)
	if _, err := LoadCredentials(dir); err == nil || strings.Contains(err.Error(), testToken) {
		t.Fatalf("broken file: %v", err)
	}
	_ = os.WriteFile(path, []byte(`{"version":1,"token":"`+testToken+`","extra":1}`), 0o600)
	if _, err := LoadCredentials(dir); err == nil || strings.Contains(err.Error(), testToken) {
		t.Fatalf("unknown field: %v", err)
	}
	// A file pointing the token at a plain-text URL off loopback.
	c := creds()
	c.RelayURL = "ws://relay.example.com/api/relay/ws"
	if err := SaveCredentials(dir, c); err == nil {
		t.Fatal("saved a ws:// URL off loopback")
	}
}

func TestNumbers(t *testing.T) {
	for n, ok := range map[string]bool{
		"+14155550123": true, "+442071838750": true, "+1234567": true, "+123456789012345": true,
		"14155550123": false, "+04155550123": false, "+1 415 555 0123": false, "+1415555O123": false,
		"+1234567890123456": false, "+123456": false, "": false, "+١٤١٥٥٥٥٠١٢٣": false,
	} {
		err := CheckNumber("the number", n)
		if (err == nil) != ok {
			t.Errorf("CheckNumber(%q) = %v, want ok=%v", n, err, ok)
		}
		if err != nil && n != "" && strings.Contains(err.Error(), n) {
			t.Errorf("the error repeats the number: %v", err)
		}
	}
	if got := MaskNumber("+14155550123"); got != "+14*******23" {
		t.Fatalf("MaskNumber = %q", got)
	}
	c := creds()
	c.From = c.To
	if err := c.Validate(); err == nil {
		t.Fatal("calling from the owner's own number")
	}
}

func TestSpaces(t *testing.T) {
	for in, want := range map[string]string{
		"example": "example", "Example.signalwire.com": "example", "https://my-space.signalwire.com/": "my-space",
		"evil.com/x": "", "a..b": "", "-x": "", "": "",
	} {
		got, err := NormalizeSpace(in)
		if (err == nil) != (want != "") || got != want {
			t.Errorf("NormalizeSpace(%q) = %q, %v", in, got, err)
		}
	}
}

// A system install's keys directory is 0710; one others can write is
// refused.
func TestCredentialsKeysDirectory(t *testing.T) {
	dir := keysDir(t)
	_ = os.Chmod(dir, 0o710)
	if err := SaveCredentials(dir, creds()); err != nil {
		t.Fatalf("0710 keys directory: %v", err)
	}
	_ = os.Chmod(dir, 0o730)
	if err := SaveCredentials(dir, creds()); err == nil || !strings.Contains(err.Error(), "others can write") {
		t.Fatalf("a group-writable keys directory: %v", err)
	}
	_ = os.Chmod(dir, 0o700)
	fresh := filepath.Join(t.TempDir(), "new", "keys")
	if err := SaveCredentials(fresh, creds()); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(fresh); fi.Mode().Perm() != 0o700 {
		t.Fatalf("created keys directory mode %04o", fi.Mode().Perm())
	}
}
