// Package e2e holds the console's end-to-end tests: the real ony-tui binary
// in a real terminal (tmux), driven by keys, with real hook processes sending
// requests over the real socket. It has no code of its own.
package e2e

// The harness (building the binary, homes, tmux, hooks) is internal/e2e,
// shared with the hook's end-to-end tests; the CLI's own commands are
// tested as scripts in internal/cli/testdata/script.
