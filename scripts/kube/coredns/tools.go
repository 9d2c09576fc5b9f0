//go:build tools

// Package tools pins CoreDNS, the cluster DNS scripts/kube.sh runs on the node, so `go mod tidy`
// keeps every module it needs in go.sum.
package tools

import _ "github.com/coredns/coredns"
