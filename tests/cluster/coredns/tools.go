//go:build tools

// Package tools pins the command tests/cluster/build.sh builds from this
// module (CoreDNS's main package is its module root), so that `go mod tidy`
// keeps every go.sum entry it needs.
package tools

import (
	_ "github.com/coredns/coredns"
)
