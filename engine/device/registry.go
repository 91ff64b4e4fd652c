package device

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/ony-dev/ony-tui/engine/paths"
	"github.com/ony-dev/ony-tui/engine/verdict"
)

// Registry file format versions. Version 2 adds the "yubikey" object of
// YubiKey devices; a registry without one is written as version 1, so a
// build that reads only version 1 keeps reading it. Both are read strictly:
// a field the version does not define is an error.
const (
	fileVersion1 = 1
	fileVersion2 = 2
	fileVersion  = fileVersion2 // the newest version this build reads
)

// maxRegistrySize bounds the registry file read by the hook.
const maxRegistrySize = 1 << 20

type registryFile struct {
	Version int      `json:"version"`
	Devices []Device `json:"devices"`
}

// Registry reads and writes the device registry of one Ony home.
type Registry struct {
	file    string
	keysDir string
	now     func() time.Time
	access  Access

	// The parsed file and the secrets read from it are kept while the
	// file's identity (inode, size, modification time) is unchanged. Every
	// write is an atomic rename, which changes the inode, so a revocation by
	// any process is seen at the next lookup.
	mu      sync.Mutex
	cached  *registryFile
	ident   fileIdent
	secrets map[string][]byte
	publics map[string]*ecdsa.PublicKey
}

type fileIdent struct {
	ino, size uint64
	mtime     int64
}

// Open returns the registry stored at file with keys in keysDir, both
// private to this user. Nothing is read until a method needs it. now may be
// nil for time.Now.
func Open(file, keysDir string, now func() time.Time) *Registry {
	return OpenWith(file, keysDir, now, Access{Owner: os.Getuid()})
}

// Access says who owns a registry and who may read it.
type Access struct {
	// Owner is the uid that must own the registry file and the key files:
	// this process's for the per-user layout and for the engine of a system
	// install; the engine's user for the hook of a system install.
	Owner int
	// Shared is the registry of a system install: the registry file is
	// readable by its directory's group (the hook's), so it holds public
	// data only. The console, engine and phone devices then sign with
	// ECDSA P-256 keys kept in the keys directory, which only the engine's
	// user can read, and the hook verifies them with the public keys in the
	// registry. HMAC devices are refused: nobody but the engine could
	// verify them.
	Shared bool
}

// OpenWith is Open with explicit access rules.
func OpenWith(file, keysDir string, now func() time.Time, a Access) *Registry {
	if now == nil {
		now = time.Now
	}
	return &Registry{file: file, keysDir: keysDir, now: now, access: a}
}

// List returns every device, revoked ones included, in creation order. A
// missing registry file is an empty registry.
func (r *Registry) List() ([]Device, error) {
	f, err := r.read()
	if err != nil {
		return nil, err
	}
	return f.Devices, nil
}

// Get returns one device.
func (r *Registry) Get(id string) (Device, error) {
	f, err := r.read()
	if err != nil {
		return Device{}, err
	}
	for _, d := range f.Devices {
		if d.ID == id {
			return d, nil
		}
	}
	return Device{}, fmt.Errorf("device %s: %w", id, ErrNotFound)
}

// ActiveOf returns the first active device of a kind, or ErrNotFound.
func (r *Registry) ActiveOf(kind Kind) (Device, error) {
	f, err := r.read()
	if err != nil {
		return Device{}, err
	}
	for _, d := range f.Devices {
		if d.Kind == kind && d.Active() {
			return d, nil
		}
	}
	return Device{}, fmt.Errorf("no active %s device: %w", kind, ErrNotFound)
}

func (r *Registry) read() (registryFile, error) {
	id, err := identOf(r.file)
	if err == nil {
		r.mu.Lock()
		c := r.cached
		same := c != nil && r.ident == id
		r.mu.Unlock()
		if same {
			return registryFile{Version: c.Version, Devices: append([]Device(nil), c.Devices...)}, nil
		}
	}
	f, id, err := r.load()
	if err != nil || id == (fileIdent{}) {
		return f, err
	}
	r.mu.Lock()
	r.cached, r.ident, r.secrets, r.publics = &registryFile{Version: f.Version, Devices: append([]Device(nil), f.Devices...)}, id, nil, nil
	r.mu.Unlock()
	return f, nil
}

func identOf(path string) (fileIdent, error) {
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		return fileIdent{}, err
	}
	return fileIdent{ino: st.Ino, size: uint64(st.Size), mtime: st.Mtim.Nano()}, nil
}

// load reads and checks the registry file, and returns the identity of the
// file it read (zero for a missing file).
func (r *Registry) load() (registryFile, fileIdent, error) {
	b, id, err := r.readFileIdent(r.file, maxRegistrySize, r.access.Shared)
	if errors.Is(err, fs.ErrNotExist) {
		return registryFile{Version: fileVersion1}, fileIdent{}, nil
	}
	if err != nil {
		return registryFile{}, fileIdent{}, fmt.Errorf("reading device registry: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f registryFile
	if err := dec.Decode(&f); err != nil {
		return registryFile{}, fileIdent{}, fmt.Errorf("reading device registry %s: %w", r.file, err)
	}
	if f.Version != fileVersion1 && f.Version != fileVersion2 {
		return registryFile{}, fileIdent{}, fmt.Errorf("device registry %s has version %d, this build reads %d and %d", r.file, f.Version, fileVersion1, fileVersion2)
	}
	seen := map[string]bool{}
	for _, d := range f.Devices {
		if !validID(d.ID) || !d.Kind.Valid() || seen[d.ID] {
			return registryFile{}, fileIdent{}, fmt.Errorf("device registry %s: invalid or duplicate device %q", r.file, d.ID)
		}
		if r.access.Shared && d.Alg == string(verdict.HMACSHA256) {
			return registryFile{}, fileIdent{}, fmt.Errorf("device registry %s: device %s signs with an hmac key, which a system install cannot use (the hook could not verify it)", r.file, d.ID)
		}
		seen[d.ID] = true
		if err := checkYubiKey(d, f.Version); err != nil {
			return registryFile{}, fileIdent{}, fmt.Errorf("device registry %s: device %s: %w", r.file, d.ID, err)
		}
	}
	return f, id, nil
}

// checkYubiKey enforces that kind yubikey, and only it, carries a valid
// yubikey object, which version 1 does not define.
func checkYubiKey(d Device, version int) error {
	switch {
	case d.YubiKey != nil && version < fileVersion2:
		return fmt.Errorf("a yubikey object in a version %d registry", version)
	case d.Kind == KindYubiKey && d.YubiKey == nil:
		return errors.New("a yubikey device without its yubikey object")
	case d.Kind != KindYubiKey && d.YubiKey != nil:
		return fmt.Errorf("a %s device with a yubikey object", d.Kind)
	case d.YubiKey != nil:
		if d.Alg != string(verdict.ECDSAP256SHA256) || d.PublicKey == "" {
			return errors.New("a yubikey device must have an ecdsa-p256-sha256 public key")
		}
		return d.YubiKey.check()
	}
	return nil
}

// versionFor is the oldest file version that can hold f's devices.
func versionFor(f *registryFile) int {
	for _, d := range f.Devices {
		if d.YubiKey != nil {
			return fileVersion2
		}
	}
	return fileVersion1
}

// update applies fn to the registry under an exclusive lock and writes the
// result atomically.
func (r *Registry) update(fn func(*registryFile) error) error {
	if r.access.Owner != os.Getuid() {
		return fmt.Errorf("device registry %s belongs to uid %d: only that user can change it", r.file, r.access.Owner)
	}
	if !r.access.Shared {
		// A shared registry's directory was checked by the engine
		// (paths.Layout.EnsureSystemDirs): it is 0710, not private.
		if err := paths.EnsurePrivateDir(filepath.Dir(r.file)); err != nil {
			return err
		}
	}
	lock, err := os.OpenFile(r.file+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("locking device registry: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("locking device registry: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // released on close anyway
	// Under the lock the file itself is the truth: never a cached copy,
	// which could be older than a write another process just made.
	f, _, err := r.load()
	if err != nil {
		return err
	}
	if err := fn(&f); err != nil {
		return err
	}
	f.Version = versionFor(&f)
	for _, d := range f.Devices {
		if err := checkYubiKey(d, f.Version); err != nil {
			return fmt.Errorf("device %s: %w", d.ID, err)
		}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding device registry: %w", err)
	}
	if r.access.Shared {
		return writeSharedFile(r.file, append(b, '\n'))
	}
	return writePrivateFile(r.file, append(b, '\n'))
}

// Secret returns the secret key of a device. Keys read are kept until the
// registry file changes.
func (r *Registry) Secret(id string) ([]byte, error) {
	if !validID(id) {
		return nil, fmt.Errorf("device %q: %w", id, ErrNotFound)
	}
	if _, err := r.read(); err != nil { // refreshes the cache if the registry changed
		return nil, err
	}
	r.mu.Lock()
	if k, ok := r.secrets[id]; ok {
		r.mu.Unlock()
		return append([]byte(nil), k...), nil
	}
	r.mu.Unlock()
	b, err := r.readFile(r.keyPath(id), 4096)
	if err != nil {
		return nil, fmt.Errorf("reading key of device %s: %w", id, err)
	}
	r.mu.Lock()
	if r.secrets == nil {
		r.secrets = map[string][]byte{}
	}
	r.secrets[id] = append([]byte(nil), b...)
	r.mu.Unlock()
	return b, nil
}

// Warm reads the registry and the keys of its active HMAC devices into the
// cache, so that a lookup soon after (the hook's, once its verdict arrives)
// finds them there. It reports nothing: a lookup that needs a key checks the
// registry again and reports its own errors.
func (r *Registry) Warm() {
	f, err := r.read()
	if err != nil {
		return
	}
	for _, d := range f.Devices {
		if d.Active() && verdict.Alg(d.Alg) == verdict.HMACSHA256 {
			_, _ = r.Secret(d.ID)
		}
	}
}

// Signer returns a verdict signer for an active device whose key is in the
// keys directory: an HMAC key, or the ECDSA P-256 key of a software device
// in a shared registry.
func (r *Registry) Signer(id string) (verdict.Signer, error) {
	d, err := r.Get(id)
	if err != nil {
		return nil, err
	}
	if !d.Active() {
		return nil, fmt.Errorf("device %s: %w", id, ErrAlreadyRevoked)
	}
	if d.Alg == string(verdict.ECDSAP256SHA256) && (d.Kind == KindConsole || d.Kind == KindEngine || d.Kind == KindPhone) {
		return r.ecdsaSigner(d)
	}
	if d.Alg != string(verdict.HMACSHA256) {
		return nil, fmt.Errorf("device %s signs with %q, not a local key", id, d.Alg)
	}
	key, err := r.Secret(id)
	if err != nil {
		return nil, err
	}
	s, err := verdict.NewHMACSigner(id, key)
	if err != nil {
		return nil, err
	}
	if s.KeyID() != d.KeyID {
		return nil, fmt.Errorf("device %s: key file does not match the registered key id", id)
	}
	return s, nil
}

// Ensure returns the active device of a kind, creating one if there is none.
func (r *Registry) Ensure(kind Kind, label string) (Device, error) {
	d, err := r.ActiveOf(kind)
	if err == nil {
		return d, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Device{}, err
	}
	return r.Create(kind, label)
}

func (r *Registry) keyPath(id string) string { return filepath.Join(r.keysDir, id+".key") }

func (r *Registry) writeKey(id string, key []byte) error {
	if err := paths.EnsurePrivateDir(r.keysDir); err != nil {
		return err
	}
	return writePrivateFile(r.keyPath(id), []byte(hex.EncodeToString(key)+"\n"))
}
