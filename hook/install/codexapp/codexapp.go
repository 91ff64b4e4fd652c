// Package codexapp talks to Codex CLI's own app-server (`codex app-server`,
// JSON-RPC over its stdin and stdout) to read what Codex itself says about
// the hooks it found: the same list, hashes and trust states its /hooks
// screen shows. Ony asks Codex rather than recomputing Codex's trust hash,
// whose input changes between Codex versions.
package codexapp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Trust states Codex reports for a hook (HookTrustStatus).
const (
	Trusted   = "trusted"   // the hook's current hash is the one the user trusted
	Untrusted = "untrusted" // never trusted: Codex skips it
	Modified  = "modified"  // trusted once, changed since: Codex skips it
	Managed   = "managed"   // from managed policy: runs without a trust review
)

// Hook is one hook as Codex's hooks/list reports it.
type Hook struct {
	// Key is Codex's id for the hook: "<source file>:<event>:<group>:<handler>".
	Key         string `json:"key"`
	EventName   string `json:"eventName"`
	Command     string `json:"command"`
	SourcePath  string `json:"sourcePath"`
	Enabled     bool   `json:"enabled"`
	CurrentHash string `json:"currentHash"`
	TrustStatus string `json:"trustStatus"`
}

// Runs reports whether Codex runs the hook: enabled, and trusted or managed.
func (h Hook) Runs() bool {
	return h.Enabled && (h.TrustStatus == Trusted || h.TrustStatus == Managed)
}

// Client is one running `codex app-server`.
type Client struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan []byte
	stderr *strings.Builder
	nextID int
}

// maxLine bounds one JSON-RPC message from the app-server.
const maxLine = 16 << 20

// Start runs `<codex> app-server` with env (nil: this process's) in dir and
// completes the initialize handshake. Close it when done.
func Start(ctx context.Context, codex string, env []string, dir string) (*Client, error) {
	cmd := exec.Command(codex, "app-server")
	cmd.Env, cmd.Dir = env, dir
	// Its own process group, so Close can stop whatever it started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &Client{cmd: cmd, stdin: stdin, lines: make(chan []byte, 16), stderr: &strings.Builder{}}
	cmd.Stderr = limitWriter{c.stderr, 64 << 10}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s app-server: %w", codex, err)
	}
	go func() {
		// lines closes once the server has exited and its stderr is read,
		// so a reader that sees it closed may read c.stderr.
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), maxLine)
		for sc.Scan() {
			c.lines <- append([]byte(nil), sc.Bytes()...)
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
	}()
	var init json.RawMessage
	if err := c.Call(ctx, "initialize", map[string]any{"clientInfo": map[string]string{"name": "ony-tui", "version": "1"}}, &init); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.send(map[string]any{"method": "initialized"}); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Client) send(msg any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	_, err = c.stdin.Write(append(b, '\n'))
	return err
}

// Call sends one request and decodes its result into result (nil to drop
// it). Notifications and requests from the server are skipped.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	c.nextID++
	id := c.nextID
	if err := c.send(map[string]any{"id": id, "method": method, "params": params}); err != nil {
		return fmt.Errorf("codex app-server %s: %w", method, err)
	}
	for {
		var line []byte
		var ok bool
		select {
		case line, ok = <-c.lines:
		case <-ctx.Done():
			return fmt.Errorf("codex app-server %s: %w", method, ctx.Err())
		}
		if !ok {
			return fmt.Errorf("codex app-server exited during %s: %s", method, strings.TrimSpace(c.stderr.String()))
		}
		var m struct {
			ID     *int            `json:"id"`
			Method string          `json:"method"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(line, &m) != nil || m.Method != "" || m.ID == nil || *m.ID != id {
			continue
		}
		if m.Error != nil {
			return fmt.Errorf("codex app-server %s: %s", method, m.Error.Message)
		}
		if result == nil {
			return nil
		}
		if err := json.Unmarshal(m.Result, result); err != nil {
			return fmt.Errorf("codex app-server %s: reading the result: %w", method, err)
		}
		return nil
	}
}

// Hooks returns the hooks Codex finds for a session started in cwd.
func (c *Client) Hooks(ctx context.Context, cwd string) ([]Hook, error) {
	var r struct {
		Data []struct {
			Hooks []Hook `json:"hooks"`
		} `json:"data"`
	}
	if err := c.Call(ctx, "hooks/list", map[string]any{"cwds": []string{cwd}}, &r); err != nil {
		return nil, err
	}
	var hooks []Hook
	for _, d := range r.Data {
		hooks = append(hooks, d.Hooks...)
	}
	return hooks, nil
}

// Close stops the app-server: it closes its stdin, and after 3 s kills its
// process group.
func (c *Client) Close() error {
	_ = c.stdin.Close()
	done := make(chan struct{})
	go func() {
		for range c.lines { // the reader ends once the server has exited
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	return nil
}

// limitWriter keeps the first n bytes written.
type limitWriter struct {
	w *strings.Builder
	n int
}

func (l limitWriter) Write(b []byte) (int, error) {
	if room := l.n - l.w.Len(); room > 0 {
		if len(b) > room {
			l.w.Write(b[:room])
		} else {
			l.w.Write(b)
		}
	}
	return len(b), nil
}
