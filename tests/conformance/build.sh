#!/usr/bin/env bash
# Build the conformance harness once and cache it.
#
# Prints the path of the cached binary on stdout. The cache key is a hash of
# go.mod, go.sum, the Go sources and the Go version, so a second run with
# nothing changed returns at once. Beside the binary, crds/ holds the CRD
# YAMLs shipped in the pinned modules' config/ folders.
#
#   --cached-only               print the path if cached, else exit 4 (no build)
#   BENCHGEN_CONFORMANCE_CACHE  cache root (default ~/.cache/benchgen/conformance)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! command -v go >/dev/null 2>&1; then
	echo "build.sh: go is not installed (https://go.dev/dl/, Go >= 1.26)" >&2
	exit 3
fi

root="${BENCHGEN_CONFORMANCE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/benchgen/conformance}"
key="$(
	{
		go env GOVERSION GOOS GOARCH
		cat go.mod go.sum
		find cmd -name '*.go' -type f | LC_ALL=C sort | xargs cat
	} | sha256sum | cut -c1-16
)"
out="$root/$key"
if [[ -x "$out/conformance" && -f "$out/crds/.complete" ]]; then
	echo "$out/conformance"
	exit 0
fi
if [[ "${1:-}" == "--cached-only" ]]; then
	echo "build.sh: the harness is not built yet (run tests/conformance/build.sh)" >&2
	exit 4
fi

mkdir -p "$root"
tmp="$(mktemp -d "$root/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

start=$SECONDS

echo "build.sh: building the harness (one go build; ~5 min cold on 2 cores)..." >&2
GOFLAGS=-mod=readonly go build -o "$tmp/conformance" ./cmd/conformance

mkdir -p "$tmp/crds/pipeline" "$tmp/crds/triggers" "$tmp/crds/eventing"
moddir() { GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' "$1"; }
cp "$(moddir github.com/tektoncd/pipeline)"/config/300-crds/*.yaml "$tmp/crds/pipeline/"
cp "$(moddir github.com/tektoncd/triggers)"/config/300-*.yaml "$tmp/crds/triggers/"
cp "$(moddir knative.dev/eventing)"/config/core/resources/*.yaml "$tmp/crds/eventing/"
mkdir -p "$tmp/crds/eventing-config"
cp "$(moddir knative.dev/eventing)"/config/core/configmaps/default-broker.yaml "$tmp/crds/eventing-config/"
# prometheus-operator keeps its CRDs in its main module, which the harness does not
# import (only pkg/apis/monitoring, for the ServiceMonitor type): the same release,
# downloaded from the module proxy for the one file (outside this module, so
# go.mod and go.sum stay as they are).
promop="$(GOFLAGS=-mod=readonly go list -m -f '{{.Version}}' github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring)"
promdir="$(cd "$tmp" && GOFLAGS= go mod download -json "github.com/prometheus-operator/prometheus-operator@$promop" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
mkdir -p "$tmp/crds/monitoring"
cp "$promdir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" "$tmp/crds/monitoring/"
chmod -R u+w "$tmp/crds"
touch "$tmp/crds/.complete"

rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "build.sh: built $out/conformance in $((SECONDS - start))s" >&2
echo "$out/conformance"
