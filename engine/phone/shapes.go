package phone

import "strings"

// The shapes of what enrolment accepts, written as plain functions rather
// than package-level regular expressions: this package is linked into
// every ony-tui process, the hook's included, and compiling five regexps
// at start cost the hook about 1 ms (shapes_test.go checks each against
// the regexp it replaces).

func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isLower(c byte) bool     { return c >= 'a' && c <= 'z' }
func isAlnumByte(c byte) bool { return isDigit(c) || isLower(c) || c >= 'A' && c <= 'Z' }
func isHexLow(c byte) bool    { return isDigit(c) || c >= 'a' && c <= 'f' }

// isE164 matches ^\+[1-9][0-9]{6,14}$.
func isE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// isSpaceName matches ^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$: a DNS label.
func isSpaceName(s string) bool {
	if len(s) < 1 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLower(c) && !isDigit(c) && c != '-' {
			return false
		}
	}
	return true
}

// isProjectID matches ^[A-Za-z0-9-]{8,64}$.
func isProjectID(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnumByte(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// isLanguage matches ^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,2}$.
func isLanguage(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) > 3 || len(parts[0]) < 2 || len(parts[0]) > 3 {
		return false
	}
	for i := 0; i < len(parts[0]); i++ {
		if !isLower(parts[0][i]) {
			return false
		}
	}
	for _, p := range parts[1:] {
		if len(p) < 2 || len(p) > 8 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if !isAlnumByte(p[i]) {
				return false
			}
		}
	}
	return true
}

// isDeviceID matches ^dev_[0-9a-f]{8}$.
func isDeviceID(s string) bool {
	if len(s) != 12 || !strings.HasPrefix(s, "dev_") {
		return false
	}
	for i := 4; i < len(s); i++ {
		if !isHexLow(s[i]) {
			return false
		}
	}
	return true
}
