#!/usr/bin/env bash
# Build, once, the real control plane the e2e harness runs: kube-apiserver and
# etcd, from the Go module proxy, pinned by tests/e2e/kube/go.mod + go.sum.
#
# Prints the directory holding the two binaries as the last line of stdout.
# Progress goes to stderr. The binaries are cached under
#   ${BENCHGEN_E2E_CACHE:-${XDG_CACHE_HOME:-~/.cache}/benchgen-e2e}/<key>/bin
# where <key> names both versions plus a hash of go.mod/go.sum, so a warm run
# costs a few stat calls. Exit 3: Go is missing and nothing is cached;
# exit 4: --cached-only was given and nothing is cached.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod="$here/kube"

k8s_version="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$mod/go.mod")"
etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$mod/go.mod")"
if [[ -z "$k8s_version" || -z "$etcd_version" ]]; then
  echo "build.sh: cannot read the pinned versions from $mod/go.mod" >&2
  exit 2
fi
digest="$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-12)"
root="${BENCHGEN_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/benchgen-e2e}"
cache="$root/kube-$k8s_version-etcd-$etcd_version-$digest"
bin="$cache/bin"

complete() { [[ -f "$bin/.complete" && -x "$bin/kube-apiserver" && -x "$bin/etcd" ]]; }

if complete; then
  echo "$bin"
  exit 0
fi
if [[ "${1:-}" == "--cached-only" ]]; then
  echo "build.sh: $bin is not built yet (run 'make e2e')" >&2
  exit 4
fi

if ! command -v go > /dev/null 2>&1; then
  echo "build.sh: Go is not installed and $bin is not cached;" \
    "install Go (https://go.dev/doc/install) and run 'make e2e'" >&2
  exit 3
fi

mkdir -p "$cache"
# One builder at a time (make e2e and the pytest fixture may both get here).
exec 9> "$cache/.lock"
flock 9
if complete; then
  echo "$bin"
  exit 0
fi

tmp="$(mktemp -d "$cache/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

start=$SECONDS
build() { # build PACKAGE OUTPUT
  local t0=$SECONDS
  echo "build.sh: building $1 ..." >&2
  (cd "$mod" && CGO_ENABLED=0 GOFLAGS='-mod=readonly -buildvcs=false' go build -trimpath -ldflags='-s -w' -o "$2" "$1")
  echo "build.sh: built $(basename "$2") in $((SECONDS - t0))s" >&2
}
echo "build.sh: kube-apiserver $k8s_version, etcd $etcd_version -> $bin (cold build)" >&2
build k8s.io/kubernetes/cmd/kube-apiserver "$tmp/kube-apiserver"
build go.etcd.io/etcd/server/v3 "$tmp/etcd"
printf 'kubernetes %s\netcd %s\ngo %s\nseconds %s\n' "$k8s_version" "$etcd_version" \
  "$(go env GOVERSION)" "$((SECONDS - start))" > "$tmp/.complete"
rm -rf "$bin"
mv "$tmp" "$bin"
trap - EXIT
echo "build.sh: done in $((SECONDS - start))s" >&2
echo "$bin"
