package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Key files (docs/LEDGER-FORMAT.md §5). The audit key file holds the 32-byte
// key as 64 lowercase hex digits and a newline. The checkpoint signing key
// file holds a note signer key ("PRIVATE+KEY+<name>+<id>+<base64>"), the
// verifier key file the matching note verifier key ("<name>+<id>+<base64>").
// Private key files are 0600 inside a 0700 directory; Open refuses anything
// looser.

// LoadAuditKey reads an audit key file. It does not check the file's mode,
// so that an auditor can verify a copied ledger with a copied key; [Open]
// does. Errors never contain key material.
func LoadAuditKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading audit key: %w", err)
	}
	return parseAuditKey(path, b)
}

func parseAuditKey(path string, b []byte) ([]byte, error) {
	s := strings.TrimSuffix(string(b), "\n")
	if len(s) != hex.EncodedLen(AuditKeySize) || !isLowerHex(s, len(s)) {
		return nil, fmt.Errorf("audit key file %s: want %d lowercase hex digits and a newline, found %d bytes of something else",
			path, hex.EncodedLen(AuditKeySize), len(b))
	}
	key, _ := hex.DecodeString(s)
	return key, nil
}

// LoadCheckpointVerifier reads a checkpoint verifier key file.
func LoadCheckpointVerifier(path string) (note.Verifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading checkpoint verifier key: %w", err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("checkpoint verifier key %s: %w", path, err)
	}
	return v, nil
}

// openAuditKey loads the audit key at path, creating a fresh random one when
// the file is missing and mayCreate is set.
func openAuditKey(path string, mayCreate bool) ([]byte, error) {
	if err := checkPrivateDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	b, err := readPrivateFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !mayCreate {
			return nil, fmt.Errorf("audit key %s is missing but the ledger already has entries: restore the key file (a new key cannot verify existing entries)", path)
		}
		key := make([]byte, AuditKeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generating audit key: %w", err)
		}
		text := hex.EncodeToString(key) + "\n"
		if err := publishFile(path, []byte(text), 0o600); err == nil {
			return key, nil
		} else if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("writing audit key: %w", err)
		}
		// Another process created it first: use theirs.
		b, err = readPrivateFile(path)
	}
	if err != nil {
		return nil, err
	}
	return parseAuditKey(path, b)
}

// openCheckpointKeys loads the checkpoint signing key and its verifier key,
// creating both when neither exists and mayCreate is set, and rewriting a
// missing verifier key from the signing key.
func openCheckpointKeys(signerPath, verifierPath, name string, mayCreate bool) (note.Signer, note.Verifier, error) {
	for _, p := range []string{signerPath, verifierPath} {
		if err := checkPrivateDir(filepath.Dir(p)); err != nil {
			return nil, nil, err
		}
	}
	b, err := readPrivateFile(signerPath)
	if errors.Is(err, fs.ErrNotExist) {
		if _, verr := os.Lstat(verifierPath); verr == nil {
			return nil, nil, fmt.Errorf("checkpoint signing key %s is missing but its verifier key %s exists: restore the signing key, or move both aside along with the checkpoints", signerPath, verifierPath)
		}
		if !mayCreate {
			return nil, nil, fmt.Errorf("checkpoint signing key %s is missing but signed checkpoints exist: restore the key file", signerPath)
		}
		skey, _, gerr := note.GenerateKey(rand.Reader, name)
		if gerr != nil {
			return nil, nil, fmt.Errorf("generating checkpoint key: %w", gerr)
		}
		if perr := publishFile(signerPath, []byte(skey+"\n"), 0o600); perr != nil && !errors.Is(perr, fs.ErrExist) {
			return nil, nil, fmt.Errorf("writing checkpoint signing key: %w", perr)
		}
		b, err = readPrivateFile(signerPath)
	}
	if err != nil {
		return nil, nil, err
	}
	skey := strings.TrimSpace(string(b))
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint signing key %s is malformed", signerPath)
	}
	vkey, err := verifierKeyFor(skey)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint signing key %s: %w", signerPath, err)
	}
	if err := publishFile(verifierPath, []byte(vkey+"\n"), 0o644); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, nil, fmt.Errorf("writing checkpoint verifier key: %w", err)
	}
	got, err := os.ReadFile(verifierPath)
	if err != nil {
		return nil, nil, fmt.Errorf("reading checkpoint verifier key: %w", err)
	}
	if strings.TrimSpace(string(got)) != vkey {
		return nil, nil, fmt.Errorf("checkpoint verifier key %s does not match the signing key %s", verifierPath, signerPath)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint verifier key: %w", err)
	}
	return signer, verifier, nil
}

// verifierKeyFor derives the note verifier key of an Ed25519 note signer key.
func verifierKeyFor(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("not a note signer key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("not an Ed25519 note signer key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// checkPrivateDir refuses a key directory that is missing, a symlink, not a
// directory, or reachable by group or others.
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("checking key directory: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() {
		return fmt.Errorf("key directory %s is not a directory", dir)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("key directory %s has mode %04o: it must be private (chmod 700 %s)", dir, perm, dir)
	}
	return nil
}

// readPrivateFile reads a key file after refusing a symlink, a non-regular
// file, or one that group or others can access.
func readPrivateFile(path string) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("key file %s has mode %04o: it must be private (chmod 600 %s)", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	return b, nil
}

// publishFile creates path with data and perm, durably and atomically: the
// file appears complete or not at all. It returns an error matching
// fs.ErrExist, and leaves the existing file alone, when path already exists.
func publishFile(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, filepath.Base(path), data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// replaceFile atomically replaces path with data (temp file, fsync, rename,
// directory fsync).
func replaceFile(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, filepath.Base(path), data, perm)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

const tempPrefix = ".tmp-"

func writeTemp(dir, base string, data []byte, perm fs.FileMode) (string, error) {
	f, err := os.CreateTemp(dir, tempPrefix+base+"-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
