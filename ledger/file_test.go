package ledger

import (
	"encoding/binary"
	"strings"
	"testing"
	"unicode"
)

// sqliteHeader returns a plausible SQLite header: page size, change
// counter, page count and "version valid for".
func sqliteHeader(page uint16, pages uint32) []byte {
	h := make([]byte, sqliteHeaderLen)
	copy(h, sqliteMagic)
	binary.BigEndian.PutUint16(h[16:], page)
	binary.BigEndian.PutUint32(h[24:], 7)
	binary.BigEndian.PutUint32(h[28:], pages)
	binary.BigEndian.PutUint32(h[92:], 7)
	return h
}

func TestDescribeHeader(t *testing.T) {
	for _, tc := range []struct {
		hdr  []byte
		size int64
		kind FileKind
		says string
	}{
		{[]byte("hello"), 5, FileNotSQLite, "5 bytes that are not an SQLite database (they start with 0x68656c6c6f)"},
		{[]byte("\x1b[2J\x07"), 5, FileNotSQLite, "0x1b5b324a07"},
		{[]byte(sqliteMagic), 16, FileSQLite, "cut short inside its 100-byte header"},
		{sqliteHeader(4096, 3), 12288, FileSQLite, "12288 bytes: an SQLite database of 3 pages of 4096 bytes"},
		{sqliteHeader(4096, 40), 12288, FileSQLite, "cut short: its header counts 40 pages of 4096 bytes"},
		{sqliteHeader(4096, 3), 5000, FileSQLite, "not a whole number of 4096 bytes pages"},
		{sqliteHeader(1, 1), 65536, FileSQLite, "1 pages of 65536 bytes"},
		{sqliteHeader(1000, 1), 1000, FileSQLite, "impossible page size 1000"},
	} {
		kind, got := describeHeader(tc.hdr, tc.size)
		if kind != tc.kind || !strings.Contains(got, tc.says) {
			t.Errorf("describeHeader(%q, %d) = %d %q, want %d saying %q", tc.hdr, tc.size, kind, got, tc.kind, tc.says)
		}
	}
}

// FuzzDescribeHeader: whatever a ledger file starts with, the description
// is total and printable (a file's bytes reach a terminal only as hex), and
// only an SQLite magic number yields FileSQLite.
func FuzzDescribeHeader(f *testing.F) {
	f.Add(sqliteHeader(4096, 3), int64(12288))
	f.Add(sqliteHeader(1, 0), int64(65536))
	f.Add([]byte("\x1b]0;title\x07garbage"), int64(1<<40))
	f.Add([]byte{}, int64(-1))
	f.Fuzz(func(t *testing.T, hdr []byte, size int64) {
		if len(hdr) > sqliteHeaderLen {
			hdr = hdr[:sqliteHeaderLen]
		}
		kind, s := describeHeader(hdr, size)
		if s == "" {
			t.Fatal("empty description")
		}
		for _, r := range s {
			if !unicode.IsPrint(r) {
				t.Fatalf("description holds %q: %q", r, s)
			}
		}
		if (kind == FileSQLite) != strings.HasPrefix(string(hdr), sqliteMagic) {
			t.Fatalf("kind %d for %q", kind, hdr)
		}
	})
}
