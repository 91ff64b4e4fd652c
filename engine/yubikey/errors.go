package yubikey

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-piv/piv-go/v2/piv"
)

// Failures of the YubiKey channel. Each message says what happened and
// what to do; the console shows it as is. Errors returned by this package
// wrap one of these (errors.Is) and, when the card or pcscd said more, the
// underlying error (see Cause).
var (
	ErrNoService        = errors.New("the smart card service is not running: start pcscd (sudo systemctl start pcscd.socket), then try again")
	ErrNoCard           = errors.New("no YubiKey is inserted: insert the enrolled key, then try again")
	ErrCardBusy         = errors.New("the YubiKey is in use by another program (gpg's scdaemon, an ssh agent, ykman): let it finish or close it, then try again")
	ErrTouchTimeout     = errors.New("the YubiKey was not touched in time: try again, and touch it while it blinks")
	ErrCardRemoved      = errors.New("the YubiKey was removed while it was working: insert it and try again")
	ErrPINBlocked       = errors.New("the YubiKey's PIN is blocked: unblock it with the PUK (ykman piv access unblock-pin), then try again")
	ErrPINRequired      = errors.New("this key needs the YubiKey's PIN")
	ErrKeyMissing       = errors.New("the enrolled key is no longer on the YubiKey (its slot was reset or overwritten): enrol it again (ony-tui enroll yubikey)")
	ErrKeyMismatch      = errors.New("the key on the YubiKey is not the enrolled one (the slot was overwritten): enrol it again (ony-tui enroll yubikey)")
	ErrHung             = errors.New("the YubiKey did not answer: unplug it and plug it back in; if this repeats, restart the console")
	ErrWrongMgmtKey     = errors.New("wrong management key")
	ErrSlotOccupied     = errors.New("the slot already holds a key")
	ErrAttestation      = errors.New("the key's attestation was refused")
	ErrUnsupported      = errors.New("this YubiKey cannot be used")
	ErrAborted          = errors.New("enrolment aborted: nothing was recorded")
	ErrCard             = errors.New("the YubiKey failed")
	errPINNotGiven      = errors.New("pin required but wasn't provided") // piv-go's words
	swSecurity          = uint16(0x6982)
	swBlocked           = uint16(0x6983)
	swNotFound          = uint16(0x6a82)
	swIncorrectData     = uint16(0x6a80)
	swReferenceNotFound = uint16(0x6a88)
)

// WrongPINError is a wrong PIN, with the tries left before it blocks.
type WrongPINError struct{ Retries int }

func (e WrongPINError) Error() string {
	return fmt.Sprintf("wrong PIN: %d tries left before the YubiKey blocks it", e.Retries)
}

// WrongCardError says the YubiKeys inserted are not the enrolled ones.
type WrongCardError struct {
	Want  []uint32 // serials of the enrolled keys
	Found []uint32 // serials of the keys inserted
}

func (e *WrongCardError) Error() string {
	return fmt.Sprintf("YubiKey %s is inserted, but the enrolled key is %s: insert that one (or enrol this one with ony-tui enroll yubikey)",
		serials(e.Found), serials(e.Want))
}

func serials(s []uint32) string {
	parts := make([]string, len(s))
	for i, n := range s {
		parts[i] = fmt.Sprintf("serial %d", n)
	}
	return strings.Join(parts, " or ")
}

// cardError is a failure of one kind, keeping what pcscd or the card said.
type cardError struct {
	kind  error
	cause error
}

func (e *cardError) Error() string   { return e.kind.Error() }
func (e *cardError) Unwrap() []error { return []error{e.kind, e.cause} }

// Cause is what pcscd or the card said, for the ledger.
func (e *cardError) Cause() string {
	if e.cause == nil {
		return ""
	}
	return e.cause.Error()
}

// Cause returns what pcscd or the card said underneath err, or "" if err
// carries nothing more. The ledger records it beside the message.
func Cause(err error) string {
	var ce *cardError
	if errors.As(err, &ce) && ce.cause != nil {
		return ce.cause.Error()
	}
	return ""
}

func wrap(kind, cause error) error { return &cardError{kind: kind, cause: cause} }

// status is the status word of a card error (piv-go's unexported apduErr).
func status(err error) (uint16, bool) {
	var s interface{ Status() uint16 }
	if errors.As(err, &s) {
		return s.Status(), true
	}
	return 0, false
}

// PC/SC return codes appear only in piv-go's messages (its error type is
// unexported); these are the texts it prints for them.
var (
	pcscNoService = []string{"resource manager is not running", "resource manager has shut down", "connecting to pcsc", "connecting to smart card daemon"}
	pcscBusy      = []string{"other connections outstanding", "sharing violation"}
	pcscNoCard    = []string{"no Smart Card is currently in the device", "reader is not currently available", "reader name is not recognized", "cannot find a smart card reader"}
	pcscRemoved   = []string{"has been removed", "scard response too short", "power has been removed", "not responding to a reset", "communications error", "has been reset", "transmitting request"}
)

func says(err error, texts []string) bool {
	msg := err.Error()
	for _, t := range texts {
		if strings.Contains(msg, t) {
			return true
		}
	}
	return false
}

// classifyOpen names why opening a card failed.
func classifyOpen(err error) error {
	switch {
	case says(err, pcscBusy):
		return wrap(ErrCardBusy, err)
	case says(err, pcscNoCard) || says(err, pcscRemoved):
		return wrap(ErrNoCard, err)
	case says(err, []string{"resource manager is not running", "resource manager has shut down"}):
		return wrap(ErrNoService, err)
	case says(err, pcscNoService):
		return wrap(ErrNoService, err)
	}
	return wrap(ErrCard, err)
}

// classifySign names why a signature failed. pinGiven says whether the PIN
// was verified first, so a 0x6982 can only mean the touch did not come.
func classifySign(err error) error {
	var auth piv.AuthErr
	if st, ok := status(err); ok {
		switch {
		case st == swBlocked:
			return wrap(ErrPINBlocked, err)
		case st == swSecurity:
			return wrap(ErrTouchTimeout, err)
		case st&0xfff0 == 0x63c0:
			return WrongPINError{Retries: int(st & 0xf)}
		case st == swNotFound || st == swReferenceNotFound || st == swIncorrectData:
			return wrap(ErrKeyMissing, err)
		}
	}
	switch {
	case errors.As(err, &auth) && auth.Retries == 0:
		return wrap(ErrPINBlocked, err)
	case errors.As(err, &auth):
		return WrongPINError{Retries: auth.Retries}
	case strings.Contains(err.Error(), errPINNotGiven.Error()):
		return wrap(ErrPINRequired, err)
	case says(err, pcscBusy):
		return wrap(ErrCardBusy, err)
	case says(err, pcscRemoved) || says(err, pcscNoCard):
		return wrap(ErrCardRemoved, err)
	case says(err, pcscNoService):
		return wrap(ErrNoService, err)
	}
	return wrap(ErrCard, err)
}
