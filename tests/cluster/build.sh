#!/usr/bin/env bash
# Build, once, the upstream controllers the one-node cluster runs as pods:
# Tekton Pipelines and Triggers (tekton/go.mod), Knative Eventing
# (knative/go.mod) and CoreDNS (coredns/go.mod), from the Go module proxy. The Kubernetes node binaries come from
# tests/e2e/build.sh --node, not from here.
#
#   build.sh [--cached-only]
#
# Prints the bin directory as the last line of stdout; progress goes to stderr.
# Layout, under
#   ${BENCHGEN_E2E_CACHE:-${XDG_CACHE_HOME:-~/.cache}/benchgen-e2e}/cluster-<versions>-<hash>/
#   bin/pipeline-{controller,webhook,entrypoint,nop,workingdirinit,sidecarlogresults}
#   bin/triggers-{controller,webhook,eventlistenersink,interceptors}
#   bin/eventing-{controller,webhook,imc-controller,imc-dispatcher,
#                 broker-ingress,broker-filter,mtchannel-broker,mtping}
#   bin/coredns
#   bin/.complete          written last: versions, Go version, total and per-binary seconds
#   config/pipeline/       the modules' config/ folders as released in the module
#   config/triggers/       zips (ko:// image references, "devel" version labels)
#   config/eventing/       (config/ and third_party/eventing-integrations-latest/)
# <hash> covers the wrapper modules' go.mod/go.sum and the build flags, so a
# warm run costs a few stat calls. Exit 2: tekton/go.mod or knative/go.mod pins
# other Tekton or Knative versions than tests/conformance/go.mod; exit 3: Go is missing and nothing is
# cached; exit 4: --cached-only was given and nothing is cached.
set -euo pipefail

cached_only=
for arg in "$@"; do
  case "$arg" in
    --cached-only) cached_only=1 ;;
    *)
      echo "build.sh: unknown argument $arg (usage: build.sh [--cached-only])" >&2
      exit 2
      ;;
  esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tekton="$here/tekton"
knative="$here/knative"
coredns="$here/coredns"
conformance="$here/../conformance/go.mod"

pinned() { # pinned GO.MOD MODULE -> the version GO.MOD requires
  awk -v m="$2" '($1 == m || ($1 == "require" && $2 == m)) { print ($1 == m ? $2 : $3); exit }' "$1"
}
pipeline_version="$(pinned "$tekton/go.mod" github.com/tektoncd/pipeline)"
triggers_version="$(pinned "$tekton/go.mod" github.com/tektoncd/triggers)"
eventing_version="$(pinned "$knative/go.mod" knative.dev/eventing)"
coredns_version="$(pinned "$coredns/go.mod" github.com/coredns/coredns)"
if [[ -z "$pipeline_version" || -z "$triggers_version" || -z "$eventing_version" ||
  -z "$coredns_version" ]]; then
  echo "build.sh: cannot read the pinned versions from $tekton/go.mod, $knative/go.mod" \
    "and $coredns/go.mod" >&2
  exit 2
fi
# The cluster must run the Tekton and Knative code the conformance harness
# validates with: one version, pinned in two modules, compared here rather than
# trusted.
for pair in tekton:github.com/tektoncd/pipeline tekton:github.com/tektoncd/triggers \
  knative:knative.dev/eventing; do
  dir="${pair%%:*}" m="${pair#*:}"
  ours="$(pinned "$here/$dir/go.mod" "$m")"
  theirs="$(pinned "$conformance" "$m")"
  if [[ "$ours" != "$theirs" ]]; then
    echo "build.sh: $m is $ours in tests/cluster/$dir/go.mod but $theirs in" \
      "tests/conformance/go.mod; pin the same version in both (then" \
      "'cd tests/cluster/$dir && go get $m@$theirs && go mod tidy')" >&2
    exit 2
  fi
done

goflags='-mod=readonly -buildvcs=false'
ldflags='-s -w'
# The flags are part of the key: binaries built another way are not reused.
digest="$(
  {
    cat "$tekton/go.mod" "$tekton/go.sum" "$knative/go.mod" "$knative/go.sum" \
      "$coredns/go.mod" "$coredns/go.sum"
    echo "CGO_ENABLED=0 $goflags -trimpath -ldflags=$ldflags"
  } | sha256sum | cut -c1-12
)"
root="${BENCHGEN_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/benchgen-e2e}"
cache="$root/cluster-pipeline-$pipeline_version-triggers-$triggers_version-eventing-$eventing_version-coredns-$coredns_version-$digest"
bin="$cache/bin"
config="$cache/config"

# output name, module dir, package
targets=(
  "pipeline-controller $tekton github.com/tektoncd/pipeline/cmd/controller"
  "pipeline-webhook $tekton github.com/tektoncd/pipeline/cmd/webhook"
  "pipeline-entrypoint $tekton github.com/tektoncd/pipeline/cmd/entrypoint"
  "pipeline-nop $tekton github.com/tektoncd/pipeline/cmd/nop"
  "pipeline-workingdirinit $tekton github.com/tektoncd/pipeline/cmd/workingdirinit"
  "pipeline-sidecarlogresults $tekton github.com/tektoncd/pipeline/cmd/sidecarlogresults"
  "triggers-controller $tekton github.com/tektoncd/triggers/cmd/controller"
  "triggers-webhook $tekton github.com/tektoncd/triggers/cmd/webhook"
  "triggers-eventlistenersink $tekton github.com/tektoncd/triggers/cmd/eventlistenersink"
  "triggers-interceptors $tekton github.com/tektoncd/triggers/cmd/interceptors"
  "eventing-controller $knative knative.dev/eventing/cmd/controller"
  "eventing-webhook $knative knative.dev/eventing/cmd/webhook"
  "eventing-imc-controller $knative knative.dev/eventing/cmd/in_memory/channel_controller"
  "eventing-imc-dispatcher $knative knative.dev/eventing/cmd/in_memory/channel_dispatcher"
  "eventing-mtchannel-broker $knative knative.dev/eventing/cmd/mtchannel_broker"
  "eventing-broker-ingress $knative knative.dev/eventing/cmd/broker/ingress"
  "eventing-broker-filter $knative knative.dev/eventing/cmd/broker/filter"
  "eventing-mtping $knative knative.dev/eventing/cmd/mtping"
  "coredns $coredns github.com/coredns/coredns"
)

complete() {
  [[ -f "$bin/.complete" && -d "$config/pipeline" && -d "$config/triggers" &&
    -d "$config/eventing" ]] || return 1
  local t
  for t in "${targets[@]}"; do [[ -x "$bin/${t%% *}" ]] || return 1; done
}

if complete; then
  echo "$bin"
  exit 0
fi
if [[ -n "$cached_only" ]]; then
  echo "build.sh: $bin is not built yet (run tests/cluster/build.sh)" >&2
  exit 4
fi
if ! command -v go > /dev/null 2>&1; then
  echo "build.sh: Go is not installed and $bin is not cached;" \
    "install Go (https://go.dev/doc/install) and run tests/cluster/build.sh" >&2
  exit 3
fi

mkdir -p "$cache"
# One builder at a time (make and a pytest fixture may both get here).
exec 9> "$cache/.lock"
flock 9
if complete; then
  echo "$bin"
  exit 0
fi

tmp="$(mktemp -d "$cache/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin" "$tmp/config"

start=$SECONDS
echo "build.sh: Tekton Pipelines $pipeline_version, Triggers $triggers_version," \
  "Eventing $eventing_version, CoreDNS $coredns_version -> $bin (cold build)" >&2
# Sequential on purpose: each go build already uses every core, and the
# packages the first Tekton binary compiles (k8s, knative.dev/pkg) are reused
# from the shared build cache by all the others.
timings=()
for t in "${targets[@]}"; do
  read -r name dir pkg <<< "$t"
  t0=$SECONDS
  echo "build.sh: building $pkg ..." >&2
  (cd "$dir" && CGO_ENABLED=0 GOFLAGS="$goflags" go build -trimpath -ldflags="$ldflags" -o "$tmp/bin/$name" "$pkg")
  echo "build.sh: built $name in $((SECONDS - t0))s" >&2
  timings+=("$name $((SECONDS - t0))")
done

# The release manifests, as the module zips carry them; the harness rewrites
# their ko:// image references. Module cache files are read-only: make the
# copies writable so the cache can be deleted with rm -rf.
moddir() { (cd "$1" && GOFLAGS="$goflags" go list -m -f '{{.Dir}}' "$2"); }
cp -R "$(moddir "$tekton" github.com/tektoncd/pipeline)/config" "$tmp/config/pipeline"
cp -R "$(moddir "$tekton" github.com/tektoncd/triggers)/config" "$tmp/config/triggers"
eventing="$(moddir "$knative" knative.dev/eventing)"
cp -R "$eventing/config" "$tmp/config/eventing"
# The controller's integration image ConfigMaps live outside config/ in the zip.
cp -R "$eventing/third_party/eventing-integrations-latest" "$tmp/config/eventing/integrations"
chmod -R u+w "$tmp/config"

{
  printf 'pipeline %s\ntriggers %s\neventing %s\ncoredns %s\ngo %s\nseconds %s\n' \
    "$pipeline_version" "$triggers_version" "$eventing_version" "$coredns_version" \
    "$(go env GOVERSION)" "$((SECONDS - start))"
  printf 'built %s\n' "${timings[@]}"
} > "$tmp/bin/.complete"
# config first, bin (holding .complete) last: an interrupted swap is redone.
rm -rf "$bin" "$config"
mv "$tmp/config" "$config"
mv "$tmp/bin" "$bin"
rm -rf "$tmp"
trap - EXIT
echo "build.sh: done in $((SECONDS - start))s" >&2
echo "$bin"
