#!/usr/bin/env bash
# Install, from Debian's packages, what the one-node cluster needs on the host:
# containerd and runc (the container runtime), the CNI plugins (bridge,
# host-local, loopback), iptables (kube-proxy, kubelet), buildah (builds the
# project's Containerfile) and mmdebstrap (the local base image). Idempotent:
# a machine that has them all costs one dpkg query. Needs root.
set -euo pipefail

packages=(containerd runc containernetworking-plugins iptables buildah mmdebstrap)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) != 0 ]]; then
  echo "setup.sh: ${missing[*]} missing, and installing them needs root" >&2
  exit 3
fi
echo "setup.sh: installing ${missing[*]} from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
