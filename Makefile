# ony-tui: the terminal approval console of Ony.
#
#   make run     build and start the console (checks for a C compiler and the PC/SC headers)
#   make install build and copy the binary to ~/.local/bin (or PREFIX=/usr/local)
#   make test    everything CI runs: format, vet, race tests, end-to-end tests
#   make bench   benchmarks, with figures for the README and closing notes
#   make fuzz    a short run of every fuzz target
#   make e2e-latest  the real-harness tests against the newest CLIs on npm
#   make man     man pages from the command tree, in man/

GO        ?= go
BIN       ?= bin/ony-tui
FUZZTIME  ?= 20s
BENCHTIME ?= 1s
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
PREFIX    ?= $(HOME)/.local
BINDIR    ?= $(PREFIX)/bin
LDFLAGS   := -s -w -X main.version=$(VERSION)

TEST_PKGS  := pcscd vsmartcard-vpcd tmux openssh-server openssh-client passwd util-linux

# The real-harness tests cache the agent CLIs they install from npm here
# (about 1.5 GB; reused between runs).
REALHARNESS_CACHE ?= $(HOME)/.cache/ony-tui/real-harness

.PHONY: all build run install test vet fmt-check unit e2e bench fuzz deps deps-test deps-npm e2e-harness e2e-latest clean help man

all: build

help:
	@sed -n '2,9p' Makefile

## deps: check for what the build needs (a C compiler; pkg-config and the
## PC/SC headers), and print the install command for this system when
## something is missing; as root on Debian or Ubuntu, install it.
deps:
	@./.ci/build-deps

## deps-test: the Debian packages the tests need as well (CI installs them),
## and npm.
deps-test: deps deps-npm
	@./.ci/apt-deps $(TEST_PKGS)

## deps-npm: npm, which the real-harness tests install the agent CLIs with.
deps-npm:
	@./.ci/npm-deps

## build: the first build compiles SQLite's C code, about 90 s on 2 cores,
## with no output meanwhile: say so first.
build: deps
	@GO=$(GO) ./.ci/first-build-note
	CGO_ENABLED=1 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

## run: build, then start the console on the default home (or ONY_HOME).
run: build
	./$(BIN) $(ARGS)

## install: copy the binary somewhere stable, so hook entries do not point
## into this checkout (make clean would break them): ~/.local/bin by default.
install: build
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/ony-tui
	@echo "installed $(DESTDIR)$(BINDIR)/ony-tui; point the hooks at it: $(BINDIR)/ony-tui install claude (or codex, cursor, gemini, copilot)"

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	ONY_REALHARNESS_CACHE=$(REALHARNESS_CACHE) $(GO) test -race -count=1 -timeout 20m ./...

## e2e-harness: only the real-harness tests, pinned versions, verbose.
e2e-harness: deps-npm
	ONY_REALHARNESS_CACHE=$(REALHARNESS_CACHE) $(GO) test -count=1 -timeout 30m -v -run '^TestRealHarness$$' ./hook/realharness/

## e2e-latest: the same against the newest version of every CLI on npm.
e2e-latest: deps-npm
	ONY_REALHARNESS_CACHE=$(REALHARNESS_CACHE) ONY_REALHARNESS_VERSIONS=latest \
	  $(GO) test -count=1 -timeout 30m -v -run '^TestRealHarness$$' ./hook/realharness/

# The YubiKey tests start their own pcscd (with vsmartcard-vpcd's driver)
# and plug virtual cards into it: deps-test installs both.
test: deps-test fmt-check vet unit

## man: a page per command, generated from the command tree (not committed).
man:
	$(GO) run ./internal/mangen -dir man -version $(VERSION)
	@echo "man pages in man/: man -l man/ony-tui.1; install: mkdir -p ~/.local/share/man/man1 && cp man/*.1 ~/.local/share/man/man1/"

bench: deps-test
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -timeout 30m ./...

fuzz:
	@set -e; for spec in $$($(GO) list -f '{{.ImportPath}}' ./... | while read p; do \
	    $(GO) test -list '^Fuzz' $$p 2>/dev/null | grep '^Fuzz' | sed "s|^|$$p:|"; done); do \
	  pkg=$${spec%%:*}; fn=$${spec##*:}; echo "== $$fn ($$pkg)"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg; done

clean:
	rm -rf bin man
