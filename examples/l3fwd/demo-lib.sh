# Shell helpers of the l3fwd demos (demo.sh, frr-demo.sh); sourced, not run.
# They expect $tmp/out to collect the data plane's stdout and fd 3 to be its stdin.

step() { printf '\n\033[1m### %s\033[0m\n' "$*"; }
run() { printf '+ %s\n' "$*"; "$@" || printf '  (exit %d)\n' "$?"; }
# Sends a command to the data plane and waits for its answer line (TAG ...).
dp() {
  local n; n=$(grep -c "^$2" "$tmp/out" || true)
  echo "$1" >&3
  until [ "$(grep -c "^$2\|^ERROR" "$tmp/out" || true)" -gt "$n" ]; do sleep 0.05; done
}
