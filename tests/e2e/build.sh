#!/usr/bin/env bash
# Build, once, the real control plane the e2e harness runs: kube-apiserver and
# etcd, from the Go module proxy, pinned by tests/e2e/kube/go.mod + go.sum.
# With --node (or BENCHGEN_E2E_NODE=1) it also builds what a one-node cluster
# needs (tests/cluster/): kubelet, kube-proxy, kube-scheduler,
# kube-controller-manager from the same k8s.io/kubernetes module, and the
# `pause` sandbox binary compiled from that module's build/pause/linux/pause.c.
#
#   build.sh [--node] [--cached-only]
#
# Prints the directory holding the binaries as the last line of stdout.
# Progress goes to stderr. The binaries are cached under
#   ${BENCHGEN_E2E_CACHE:-${XDG_CACHE_HOME:-~/.cache}/benchgen-e2e}/<key>/bin
# where <key> names both versions plus a hash of go.mod/go.sum and of the build
# flags, so a warm run costs a few stat calls. Both sets share that one
# directory: bin/.complete marks kube-apiserver + etcd, bin/.complete-node the
# node set, so a later --node call reuses the apiserver already built, and a
# call without --node never pays for the node binaries.
# Exit 3: Go (or, for --node, a C compiler) is missing and nothing is cached;
# exit 4: --cached-only was given and nothing is cached.
set -euo pipefail

node="${BENCHGEN_E2E_NODE:-}"
[[ "$node" == 0 ]] && node=
cached_only=
for arg in "$@"; do
  case "$arg" in
    --node) node=1 ;;
    --cached-only) cached_only=1 ;;
    *)
      echo "build.sh: unknown argument $arg (usage: build.sh [--node] [--cached-only])" >&2
      exit 2
      ;;
  esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod="$here/kube"

k8s_version="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$mod/go.mod")"
etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$mod/go.mod")"
if [[ ! "$k8s_version" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ || -z "$etcd_version" ]]; then
  echo "build.sh: cannot read the pinned versions from $mod/go.mod" >&2
  exit 2
fi
k8s_major="${BASH_REMATCH[1]}"
k8s_minor="${BASH_REMATCH[2]}"
# Stamp the release version into every kube binary, as upstream's
# hack/lib/version.sh does: without it the API server reports
# v0.0.0-master+$Format:%H$ and knative-based controllers (Tekton) exit with
# "Version check failed".
ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version"
  ldflags+=" -X $pkg.gitMajor=$k8s_major -X $pkg.gitMinor=$k8s_minor"
done
goflags='-mod=readonly -buildvcs=false'
# The flags are part of the key: a binary built with other flags (say, without
# the version stamp) must not be taken from the cache.
digest="$({ cat "$mod/go.mod" "$mod/go.sum"; echo "$goflags -trimpath $ldflags"; } | sha256sum | cut -c1-12)"
root="${BENCHGEN_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/benchgen-e2e}"
cache="$root/kube-$k8s_version-etcd-$etcd_version-$digest"
bin="$cache/bin"

node_bins=(kubelet kube-proxy kube-scheduler kube-controller-manager pause)
complete_base() { [[ -f "$bin/.complete" && -x "$bin/kube-apiserver" && -x "$bin/etcd" ]]; }
complete_node() {
  [[ -f "$bin/.complete-node" ]] || return 1
  local b
  for b in "${node_bins[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
}
complete() { complete_base && { [[ -z "$node" ]] || complete_node; }; }
# What to tell a user to run: the make target that builds this set.
target=e2e
[[ -n "$node" ]] && target=e2e-cluster

if complete; then
  echo "$bin"
  exit 0
fi
if [[ -n "$cached_only" ]]; then
  echo "build.sh: $bin is not built yet${node:+ with --node} (run 'make $target')" >&2
  exit 4
fi

if ! command -v go > /dev/null 2>&1; then
  echo "build.sh: Go is not installed and $bin is not cached;" \
    "install Go (https://go.dev/doc/install) and run 'make $target'" >&2
  exit 3
fi
# Checked before the minutes of Go builds, not after them.
if [[ -n "$node" ]] && ! command -v gcc > /dev/null 2>&1; then
  echo "build.sh: gcc (with a static libc, Debian: build-essential) is needed to" \
    "compile pause for --node, and $bin is not cached" >&2
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

start=$SECONDS
build() { # build PACKAGE OUTPUT
  local t0=$SECONDS
  echo "build.sh: building $1 ..." >&2
  (cd "$mod" && CGO_ENABLED=0 GOFLAGS="$goflags" go build -trimpath -ldflags="$ldflags" -o "$2" "$1")
  echo "build.sh: built $(basename "$2") in $((SECONDS - t0))s" >&2
}

if ! complete_base; then
  tmp="$(mktemp -d "$cache/.build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "build.sh: kube-apiserver $k8s_version, etcd $etcd_version -> $bin (cold build)" >&2
  build k8s.io/kubernetes/cmd/kube-apiserver "$tmp/kube-apiserver"
  build go.etcd.io/etcd/server/v3 "$tmp/etcd"
  printf 'kubernetes %s\netcd %s\ngo %s\nseconds %s\n' "$k8s_version" "$etcd_version" \
    "$(go env GOVERSION)" "$((SECONDS - start))" > "$tmp/.complete"
  # A bin dir without .complete is a leftover; the node set is rebuilt after it.
  rm -rf "$bin"
  mv "$tmp" "$bin"
  trap - EXIT
fi

if [[ -n "$node" ]] && ! complete_node; then
  node_start=$SECONDS
  tmp="$(mktemp -d "$cache/.build-node.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "build.sh: node binaries $k8s_version -> $bin (cold build)" >&2
  for b in kube-scheduler kube-proxy kube-controller-manager kubelet; do
    build "k8s.io/kubernetes/cmd/$b" "$tmp/$b"
  done
  # pause is C; upstream (build/pause/Makefile) compiles it the same way, with
  # VERSION=v<TAG>-<git describe>; the module zip has no git, so the Kubernetes
  # version stands in for the describe part.
  kdir="$(cd "$mod" && GOFLAGS="$goflags" go list -m -f '{{.Dir}}' k8s.io/kubernetes)"
  pause_tag="$(awk '$1 == "TAG" && $2 == "?=" { print $3; exit }' "$kdir/build/pause/Makefile")"
  echo "build.sh: compiling pause v$pause_tag ..." >&2
  gcc -Os -Wall -Werror -static -DVERSION="v$pause_tag-$k8s_version" \
    -o "$tmp/pause" "$kdir/build/pause/linux/pause.c"
  for b in "${node_bins[@]}"; do mv -f "$tmp/$b" "$bin/$b"; done
  # Written last: a build killed half way leaves no marker and is redone.
  printf 'kubernetes %s\npause %s\ngo %s\nseconds %s\n' "$k8s_version" "$pause_tag" \
    "$(go env GOVERSION)" "$((SECONDS - node_start))" > "$bin/.complete-node"
  rm -rf "$tmp"
  trap - EXIT
fi

echo "build.sh: done in $((SECONDS - start))s" >&2
echo "$bin"
