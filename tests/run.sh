#!/usr/bin/env bash
# The project's test command (npm test). Unit tests run in one uvu process;
# each integration file runs in its own process (DPDK's EAL initialises once
# per process, and a crash must not hide the other files). Ends with the
# plain line "N passed, N failed"; exits non-zero on any failure or when no
# test ran.
set -u
cd "$(dirname "$0")/.."
export NO_COLOR=1
unset FORCE_COLOR
export IFPX_TEST_RUN="r$$"
passed=0; failed=0; skipped=0
run() { # label, uvu args...
  local label=$1; shift
  local out rc
  out=$(node --import tsx node_modules/uvu/bin.js "$@" 2>&1); rc=$?
  printf '%s\n' "$out"
  if [ "${IFPX_REQUIRE_DPDK:-0}" = 1 ] && printf '%s\n' "$out" | grep -q "dpdk tests not run"; then
    echo "!! $label: DPDK tests did not run but IFPX_REQUIRE_DPDK=1: counted as 1 failed"
    failed=$((failed + 1))
  fi
  local t p s
  t=$(printf '%s\n' "$out" | sed -n 's/^ *Total: *\([0-9]*\).*/\1/p' | tail -1)
  p=$(printf '%s\n' "$out" | sed -n 's/^ *Passed: *\([0-9]*\).*/\1/p' | tail -1)
  s=$(printf '%s\n' "$out" | sed -n 's/^ *Skipped: *\([0-9]*\).*/\1/p' | tail -1)
  if [ -z "$t" ]; then
    echo "!! $label: no uvu summary (exit $rc): counted as 1 failed"
    failed=$((failed + 1)); return
  fi
  passed=$((passed + p)); skipped=$((skipped + ${s:-0}))
  local f=$((t - p - ${s:-0}))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "!! $label: exit $rc with no failed test: counted as 1 failed"; fi
  failed=$((failed + f))
}

run unit tests/unit '\.test\.ts$'
if [ "$(id -u)" -ne 0 ]; then
  echo "!! integration tests need root (network namespaces, taps): not run"
  failed=$((failed + 1))
else
  for f in tests/integration/*.test.ts; do
    [ -e "$f" ] || continue
    run "$f" tests/integration "^$(basename "$f" | sed 's/\./\\./g')\$"
  done
fi
leftover=$(ip netns list 2>/dev/null | grep -c "^ifpxt-$IFPX_TEST_RUN-" || true)
if [ "${leftover:-0}" -ne 0 ]; then
  echo "!! $leftover test namespaces were left behind"; failed=$((failed + 1))
fi
echo
if [ "$skipped" -ne 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
