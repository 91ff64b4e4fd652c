// Package realharness holds end-to-end tests that run the real coding-agent
// CLIs (Claude Code, Codex CLI, Gemini CLI and Copilot CLI, installed from
// npm at pinned versions into a cache) against fake model APIs on loopback,
// with Ony's hook wired in by `ony-tui install`, and check what each CLI
// really does with the hook's answers: an auto-allowed call runs and is
// recorded, a held call is blocked with Ony's reason and has no side
// effect, a stopped engine blocks, and a missing hook binary blocks where the
// harness has a fail-closed switch (the known fail-opens are asserted as
// such, named with the harness version).
//
// It has no code outside its tests. `make test` runs it with the pinned
// versions; `make e2e-latest` with the newest ones. The cache is
// $ONY_REALHARNESS_CACHE, else $XDG_CACHE_HOME/ony-tui/real-harness, else
// ~/.cache/ony-tui/real-harness.
package realharness
