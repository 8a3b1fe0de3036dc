#!/usr/bin/env bash
# Builds examples/l3fwd/build/libl3fwd.so, the C data plane that the Node
# control process (l3fwd.ts) loads and runs on an EAL worker lcore.
# Needs libdpdk-dev and pkg-config.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! pkg-config --exists libdpdk 2>/dev/null; then
  echo "l3fwd: DPDK is absent (pkg-config libdpdk): apt-get install libdpdk-dev pkg-config" >&2
  exit 1
fi
mkdir -p "$here/build"
# shellcheck disable=SC2046
"${CC:-cc}" -O2 -g -Wall -Wextra -Wno-unused-parameter -shared -fPIC -I "$here/../../native/include" \
  -o "$here/build/libl3fwd.so" \
  "$here/api.c" "$here/events.c" "$here/fib.c" "$here/neigh.c" "$here/forward.c" "$here/report.c" "$here/subport.c" \
  $(pkg-config --cflags --libs libdpdk)
echo "built $here/build/libl3fwd.so"
