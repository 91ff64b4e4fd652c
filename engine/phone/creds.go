// Package phone is Ony's phone channel: when nobody answers at the
// console, it calls the owner through SignalWire's RELAY API (package
// relay), says what an agent wants to do, and takes the owner's keys: 1
// approves, 2 denies, 3 repeats, 9 engages the kill switch; a critical
// action then needs the 6-digit code, checked by the engine like the
// console's. The phone is a device with its own key: its approvals are
// verdicts signed by it.
//
// What is spoken is built from the engine's classification and the
// request's metadata only (harness, session, title, target, risk, wait),
// never from the raw command, paths or URL, and the target is shortened
// and spelled safely. Credentials live in a 0600 file in the keys
// directory and never reach the ledger, a log, an error or the screen.
package phone

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ony-dev/ony-tui/engine/device"
	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/phone/relay"
)

// CredentialsFile is the name of the credentials file in the keys
// directory.
const CredentialsFile = "phone.json"

// Secret is a string that never prints: fmt verbs and JSON show
// "[redacted]". Reveal returns the value.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer.
func (Secret) GoString() string { return redacted }

// Format implements fmt.Formatter, for every verb.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalJSON implements json.Marshaler.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// Credentials are what Ony needs to call the owner.
type Credentials struct {
	Space    string // SignalWire space: "example" for example.signalwire.com
	Project  string // project id
	Token    Secret // API token
	From     string // the SignalWire number calls come from, E.164
	To       string // the owner's number, E.164
	Language string // text-to-speech language, e.g. en-US
	// RelayURL overrides wss://<space>.signalwire.com/api/relay/ws (tests:
	// a loopback ws:// fake). It is kept with the token so the token is
	// only ever sent where it was enrolled.
	RelayURL string
	// DeviceID is the phone device this enrolment created.
	DeviceID string
}

// credFile is the file format. The token is written here and nowhere else.
type credFile struct {
	Version  int    `json:"version"`
	Space    string `json:"space"`
	Project  string `json:"project"`
	Token    string `json:"token"`
	From     string `json:"from"`
	To       string `json:"to"`
	Language string `json:"language"`
	RelayURL string `json:"relay_url,omitempty"`
	DeviceID string `json:"device"`
}

// Errors.
var (
	ErrNotEnrolled = errors.New("no phone is enrolled: run `ony-tui enroll phone`")
	ErrCredentials = errors.New("phone credentials")
)

// CheckNumber checks a phone number is E.164: +, the country code and the
// number, 7 to 15 digits. The error never repeats the number.
func CheckNumber(what, n string) error {
	if !isE164(n) {
		return fmt.Errorf("%s is not an E.164 number: write + then the country code and the number, digits only, like +12025550143", what)
	}
	return nil
}

// NormalizeSpace accepts "example" or "example.signalwire.com".
func NormalizeSpace(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "https://")
	s = strings.TrimSuffix(s, "/")
	s = strings.TrimSuffix(s, ".signalwire.com")
	if !isSpaceName(s) {
		return "", fmt.Errorf("%w: the space is the first part of your SignalWire address, like example for example.signalwire.com", ErrCredentials)
	}
	return s, nil
}

// Validate checks every field. Its errors name the field, never its value.
func (c Credentials) Validate() error {
	if _, err := NormalizeSpace(c.Space); err != nil {
		return err
	}
	if err := c.CheckProject(); err != nil {
		return err
	}
	if err := c.CheckToken(); err != nil {
		return err
	}
	if err := CheckNumber("the number to call from", c.From); err != nil {
		return err
	}
	if err := CheckNumber("the owner's number", c.To); err != nil {
		return err
	}
	if c.From == c.To {
		return fmt.Errorf("%w: the number to call from and the owner's number are the same", ErrCredentials)
	}
	if err := c.CheckLanguage(c.Language); err != nil {
		return err
	}
	if c.RelayURL != "" {
		if _, err := relay.CheckURL(c.RelayURL); err != nil {
			return err
		}
	}
	if c.DeviceID != "" && !isDeviceID(c.DeviceID) {
		return fmt.Errorf("%w: the device id is not dev_ and 8 hex digits", ErrCredentials)
	}
	return nil
}

// CheckProject checks the project id's shape.
func (c Credentials) CheckProject() error {
	if !isProjectID(c.Project) {
		return fmt.Errorf("%w: the project id is the UUID shown on SignalWire's API page", ErrCredentials)
	}
	return nil
}

// CheckToken checks the API token's shape without ever quoting it.
func (c Credentials) CheckToken() error {
	t := c.Token.Reveal()
	if len(t) < 8 || len(t) > 256 || strings.ContainsFunc(t, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return fmt.Errorf("%w: the API token must be 8 to 256 printable characters without spaces", ErrCredentials)
	}
	return nil
}

// CheckLanguage checks a text-to-speech language tag.
func (Credentials) CheckLanguage(l string) error {
	if !isLanguage(l) {
		return fmt.Errorf("%w: the language is a tag like en-US or fr-FR", ErrCredentials)
	}
	return nil
}

// URL is the RELAY endpoint.
func (c Credentials) URL() string {
	if c.RelayURL != "" {
		return c.RelayURL
	}
	space, _ := NormalizeSpace(c.Space)
	return "wss://" + space + ".signalwire.com/api/relay/ws"
}

// MaskedTo is the owner's number as shown and recorded.
func (c Credentials) MaskedTo() string { return MaskNumber(c.To) }

// MaskNumber keeps the + and the first two and last two digits of a
// number: +14*******23.
func MaskNumber(n string) string {
	if len(n) < 6 || n[0] != '+' {
		return "***"
	}
	return n[:3] + strings.Repeat("*", len(n)-5) + n[len(n)-2:]
}

// CredentialsPath is where the credentials live.
func CredentialsPath(keysDir string) string { return filepath.Join(keysDir, CredentialsFile) }

// LoadCredentials reads the credentials file. It must be a regular file
// owned by this user with no access for others. A missing file is
// ErrNotEnrolled.
func LoadCredentials(keysDir string) (Credentials, error) {
	path := CredentialsPath(keysDir)
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return Credentials{}, ErrNotEnrolled
	}
	if err != nil {
		return Credentials{}, fmt.Errorf("%w: opening %s: %v", ErrCredentials, path, errors.Unwrap(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Credentials{}, fmt.Errorf("%w: %s: %v", ErrCredentials, path, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.Mode().IsRegular():
		return Credentials{}, fmt.Errorf("%w: %s is not a regular file", ErrCredentials, path)
	case !ok || int(st.Uid) != os.Getuid():
		return Credentials{}, fmt.Errorf("%w: %s is not owned by you: refusing it", ErrCredentials, path)
	case fi.Mode().Perm()&0o077 != 0:
		return Credentials{}, fmt.Errorf("%w: %s has mode %04o: run chmod 600 %s", ErrCredentials, path, fi.Mode().Perm(), path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 64<<10+1))
	if err != nil || len(b) > 64<<10 {
		return Credentials{}, fmt.Errorf("%w: %s cannot be read or is too large", ErrCredentials, path)
	}
	var cf credFile
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cf); err != nil || cf.Version != 1 {
		// The decoder's message could quote the file: say only where.
		return Credentials{}, fmt.Errorf("%w: %s is not a version 1 credentials file: run `ony-tui enroll phone` again", ErrCredentials, path)
	}
	c := Credentials{Space: cf.Space, Project: cf.Project, Token: Secret(cf.Token), From: cf.From, To: cf.To,
		Language: cf.Language, RelayURL: cf.RelayURL, DeviceID: cf.DeviceID}
	if err := c.Validate(); err != nil {
		return Credentials{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// SaveCredentials writes the credentials file atomically, 0600 in the 0700
// keys directory.
func SaveCredentials(keysDir string, c Credentials) error {
	if err := c.Validate(); err != nil {
		return err
	}
	space, _ := NormalizeSpace(c.Space)
	b, err := json.MarshalIndent(credFile{Version: 1, Space: space, Project: c.Project, Token: c.Token.Reveal(),
		From: c.From, To: c.To, Language: c.Language, RelayURL: c.RelayURL, DeviceID: c.DeviceID}, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding phone credentials: %w", err)
	}
	if err := keysDirOK(keysDir); err != nil {
		return err
	}
	path := CredentialsPath(keysDir)
	tmp, err := os.CreateTemp(keysDir, "."+CredentialsFile+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.Write(append(b, '\n'))
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(name, path)
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	} else {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if d, err := os.Open(keysDir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// keysDirOK creates the keys directory (0700) if it is missing, and
// otherwise checks it is a real directory of this user that nobody else
// can write. A system install's keys directory is 0710 (its hook group
// traverses it), so it is not required to be private; the file is.
func keysDirOK(dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return paths.EnsurePrivateDir(dir)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("keys directory: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("keys directory %s is not a directory", dir)
	case !ok || int(st.Uid) != os.Getuid():
		return fmt.Errorf("keys directory %s is not owned by you: refusing it", dir)
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("keys directory %s has mode %04o: others can write it", dir, fi.Mode().Perm())
	}
	return nil
}

// RemoveCredentials deletes the credentials file (after the phone device
// is revoked or an enrolment fails).
func RemoveCredentials(keysDir string) error {
	if err := os.Remove(CredentialsPath(keysDir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing phone credentials: %w", err)
	}
	return nil
}

// ErrDeviceGone: the phone device of the enrolment is revoked (and not
// rotated to a new one).
var ErrDeviceGone = errors.New("the enrolled phone device is revoked: run `ony-tui enroll phone` to call again")

// ActiveDevice returns the phone device that answers for these
// credentials: the device the enrolment created or, after `ony-tui devices
// rotate`, the one that replaced it. It must be the active phone device.
func ActiveDevice(reg *device.Registry, c Credentials) (device.Device, error) {
	active, err := reg.ActiveOf(device.KindPhone)
	if err != nil {
		return device.Device{}, ErrDeviceGone
	}
	id := c.DeviceID
	for range 64 { // a rotation chain; bounded against a looping registry
		if id == active.ID {
			return active, nil
		}
		d, err := reg.Get(id)
		if err != nil || d.ReplacedBy == "" {
			break
		}
		id = d.ReplacedBy
	}
	return device.Device{}, ErrDeviceGone
}
