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
# Waits for the data plane's READY line (it has started); exits if the data plane died first.
wait_ready() {
  until grep -q '^READY' "$tmp/out"; do
    kill -0 "$dp_pid" 2>/dev/null || { cat "$tmp/err" >&2; exit 1; }
    sleep 0.1
  done
  grep '^READY' "$tmp/out"
}
