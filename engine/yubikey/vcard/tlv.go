package vcard

import "errors"

// BER-TLV as PIV cards use it: one- or two-byte tags (a first byte whose
// low five bits are all set takes one more byte), definite lengths in one,
// two or three bytes.

var errTLV = errors.New("malformed tlv")

// tlv is one parsed element.
type tlv struct {
	tag   uint16
	value []byte
}

// parseTLVs splits b into its top-level elements.
func parseTLVs(b []byte) ([]tlv, error) {
	var out []tlv
	for len(b) > 0 {
		var t tlv
		var err error
		t, b, err = parseTLV(b)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func parseTLV(b []byte) (tlv, []byte, error) {
	if len(b) < 2 {
		return tlv{}, nil, errTLV
	}
	tag := uint16(b[0])
	b = b[1:]
	if tag&0x1f == 0x1f {
		tag = tag<<8 | uint16(b[0])
		b = b[1:]
		if len(b) == 0 {
			return tlv{}, nil, errTLV
		}
	}
	n := int(b[0])
	b = b[1:]
	switch {
	case n < 0x80:
	case n == 0x81 && len(b) >= 1:
		n, b = int(b[0]), b[1:]
	case n == 0x82 && len(b) >= 2:
		n, b = int(b[0])<<8|int(b[1]), b[2:]
	default:
		return tlv{}, nil, errTLV
	}
	if n > len(b) {
		return tlv{}, nil, errTLV
	}
	return tlv{tag: tag, value: b[:n]}, b[n:], nil
}

// find returns the value of the first element with tag.
func find(ts []tlv, tag uint16) ([]byte, bool) {
	for _, t := range ts {
		if t.tag == tag {
			return t.value, true
		}
	}
	return nil, false
}

// enc encodes one element.
func enc(tag uint16, value []byte) []byte {
	var out []byte
	if tag > 0xff {
		out = append(out, byte(tag>>8), byte(tag))
	} else {
		out = append(out, byte(tag))
	}
	switch n := len(value); {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, value...)
}

// cat joins encoded elements.
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
