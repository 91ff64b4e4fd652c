// Package setup holds the tests of the build's setup scripts (.ci/): the
// check `make build` runs for what the build needs, on the systems a new
// user brings. It has no code of its own.
package setup
