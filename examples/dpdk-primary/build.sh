#!/usr/bin/env bash
# Builds examples/dpdk-primary/build/dpdk-primary (needs libdpdk-dev, pkg-config).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! pkg-config --exists libdpdk 2>/dev/null; then
  echo "dpdk-primary: DPDK is absent (pkg-config libdpdk): apt-get install libdpdk-dev pkg-config" >&2
  exit 1
fi
mkdir -p "$here/build"
# shellcheck disable=SC2046
"${CC:-cc}" -O2 -Wall -Wextra -I "$here/../../native/include" -o "$here/build/dpdk-primary" \
  "$here/main.c" $(pkg-config --cflags --libs libdpdk)
echo "built $here/build/dpdk-primary"
