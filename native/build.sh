#!/usr/bin/env bash
# Builds native/build/libifpx_dpdk.so (the DPDK shim) when DPDK is installed.
# DPDK is optional: without it this prints why and exits 0.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/build"
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libdpdk 2>/dev/null; then
  echo "ifpx: DPDK is absent (pkg-config libdpdk not found): skipping the DPDK shim." \
       "To build it: apt-get install libdpdk-dev pkg-config && npm run build:native"
  exit 0
fi
mkdir -p "$out"
CC="${CC:-cc}"
# shellcheck disable=SC2046
"$CC" -O2 -Wall -Wextra -Wno-unused-parameter -shared -fPIC \
  -o "$out/libifpx_dpdk.so" "$here/ifpx_dpdk.c" $(pkg-config --cflags --libs libdpdk)
echo "ifpx: built $out/libifpx_dpdk.so (DPDK $(pkg-config --modversion libdpdk))"
