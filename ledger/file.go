package ledger

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// FileKind classifies what a ledger's path holds before SQLite opens it.
type FileKind uint8

// File kinds, from [InspectFile].
const (
	FileMissing    FileKind = iota + 1 // nothing at the path
	FileEmpty                          // a file of zero bytes
	FileNotRegular                     // a directory, socket, device, ...
	FileNotSQLite                      // bytes that are not an SQLite database
	FileSQLite                         // an SQLite database header (perhaps damaged further on)
)

// FileState is what a ledger's path holds, from its type, size and first
// bytes. Found describes it for a person ("12288 bytes: an SQLite
// database cut short: its header counts 40 pages of 4096 bytes").
type FileState struct {
	Kind  FileKind
	Size  int64
	Found string
}

// sqliteMagic opens every SQLite 3 database file.
const sqliteMagic = "SQLite format 3\x00"

// sqliteHeaderLen is the size of an SQLite database header.
const sqliteHeaderLen = 100

// InspectFile looks at what is at path without opening it as a database:
// whether it exists, its size, and whether it starts with a plausible
// SQLite header. It does not follow a symlink for the type check (a
// symlink is reported as not a regular file). Its error is only for a path
// that cannot be examined at all (permission, I/O).
func InspectFile(path string) (FileState, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return FileState{Kind: FileMissing, Found: "missing"}, nil
	case err != nil:
		return FileState{}, fmt.Errorf("examining ledger %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return FileState{Kind: FileNotRegular, Found: fmt.Sprintf("not a regular file (%s)", fi.Mode().Type())}, nil
	case fi.Size() == 0:
		return FileState{Kind: FileEmpty, Found: "an empty file (0 bytes)"}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return FileState{}, fmt.Errorf("examining ledger %s: %w", path, err)
	}
	defer f.Close()
	hdr := make([]byte, sqliteHeaderLen)
	n, err := io.ReadFull(f, hdr)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return FileState{}, fmt.Errorf("examining ledger %s: %w", path, err)
	}
	kind, found := describeHeader(hdr[:n], fi.Size())
	return FileState{Kind: kind, Size: fi.Size(), Found: found}, nil
}

// describeHeader classifies the first bytes of a file of the given size
// (docs: https://sqlite.org/fileformat.html §1.3) and says what they show.
// A plausible SQLite header is FileSQLite even when the file is cut short;
// the description then says so.
func describeHeader(hdr []byte, size int64) (FileKind, string) {
	sz := byteCount(size)
	if len(hdr) < len(sqliteMagic) || string(hdr[:len(sqliteMagic)]) != sqliteMagic {
		return FileNotSQLite, fmt.Sprintf("%s that are not an SQLite database (they start with %s)", sz, hexPrefix(hdr, 16))
	}
	if len(hdr) < sqliteHeaderLen {
		return FileSQLite, fmt.Sprintf("%s: the start of an SQLite database, cut short inside its %d-byte header", sz, sqliteHeaderLen)
	}
	page := int64(binary.BigEndian.Uint16(hdr[16:18]))
	if page == 1 {
		page = 65536
	}
	if page < 512 || page > 65536 || page&(page-1) != 0 {
		return FileSQLite, fmt.Sprintf("%s: an SQLite header with an impossible page size %d (the header is damaged)", sz, page)
	}
	if size%page != 0 {
		return FileSQLite, fmt.Sprintf("%s: an SQLite database cut short, not a whole number of %s pages", sz, byteCount(page))
	}
	// The page count in the header is valid only when the "version valid
	// for" number equals the change counter.
	pages := int64(binary.BigEndian.Uint32(hdr[28:32]))
	valid := binary.BigEndian.Uint32(hdr[92:96]) == binary.BigEndian.Uint32(hdr[24:28])
	if valid && pages > 0 && pages > size/page {
		return FileSQLite, fmt.Sprintf("%s: an SQLite database cut short: its header counts %d pages of %s", sz, pages, byteCount(page))
	}
	return FileSQLite, fmt.Sprintf("%s: an SQLite database of %d pages of %s", sz, size/page, byteCount(page))
}

// hexPrefix shows up to n leading bytes in hex, so that nothing the file
// holds reaches a terminal as text.
func hexPrefix(b []byte, n int) string {
	if len(b) == 0 {
		return "nothing"
	}
	s := hex.EncodeToString(b[:min(len(b), n)])
	if len(b) > n {
		s += "…"
	}
	return "0x" + s
}

// byteCount formats a size: "1 byte", "12288 bytes".
func byteCount(n int64) string {
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}
