#!/usr/bin/env bash
# l3fwd-ifpx demo, as root from the repository root:   bash examples/l3fwd/demo.sh
#
# Four namespaces: a router running the data plane (proxies dp0..dp2 on links
# v0..v2) and hosts h1..h3 (topology.sh). Then the sequence of the example's
# README: addresses on the proxies, pings both ways (IPv4, IPv6), a route to a
# remote prefix via h2, replaced via h3, deleted, a proxy's link down and up,
# a data port's link down and up (the proxy's carrier follows), an MTU change, and the data plane's tables and counters after each step.
# Everything is removed at the end (or on Ctrl-C).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (namespaces, af_packet)" >&2; exit 1; }
for c in ping ethtool pkg-config; do command -v $c >/dev/null || { echo "demo: $c missing: bash scripts/test-setup.sh installs what is needed" >&2; exit 1; }; done
[ -f dist/core.wasm ] || npm run -s build
[ -f native/build/libifpx_dpdk.so ] || bash native/build.sh
bash examples/l3fwd/build.sh >/dev/null

P="l3demo$$"; R="$P-r"; H1="$P-h1"; H2="$P-h2"; H3="$P-h3"
tmp=$(mktemp -d)
dp_pid=""
cleanup() {
  if [ -n "$dp_pid" ] && kill -0 "$dp_pid" 2>/dev/null; then
    echo quit >&3 || true
    local rc=0; wait "$dp_pid" || rc=$?
    [ "$rc" -eq 0 ] || { echo "demo: the data plane exited with status $rc:" >&2; tail -5 "$tmp/out" "$tmp/err" >&2; }
  fi
  for n in "$R" "$H1" "$H2" "$H3"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. examples/l3fwd/demo-lib.sh
# The data plane's tables and counters, as it prints them.
tables() {
  local from; from=$(wc -l <"$tmp/out")
  dp print PRINTED
  tail -n +"$((from + 1))" "$tmp/out" | grep -v '^PRINTED'
}
counters() {
  dp stats STATS
  grep '^STATS' "$tmp/out" | tail -1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s.slice(6));
    console.log(`  data plane: forwarded v4 ${j.fwd4} v6 ${j.fwd6}, punted ${j.punted} ${JSON.stringify(Object.fromEntries(Object.entries(j.punt).filter(([,v])=>v)))}, events ${j.events}`)})'
  ip netns exec "$R" sh -c 'printf "  Linux in the router: ForwDatagrams %s, Ip6OutForwDatagrams %s\n" \
    "$(awk "/^Ip:/{getline; print \$7; exit}" /proc/net/snmp)" "$(awk "/Ip6OutForwDatagrams/{print \$2}" /proc/net/snmp6)"'
}

step "namespaces $R (router), $H1 $H2 $H3 (hosts), wired by examples/l3fwd/topology.sh"
for n in "$R" "$H1" "$H2" "$H3"; do ip netns add "$n"; done
bash examples/l3fwd/topology.sh "$R" "$H1" "$H2" "$H3"

step "the data plane in $R: net_af_packet ports on v0..v2, net_tap proxies dp0..dp2 (ifpx), forwarding on lcore 1"
mkfifo "$tmp/cmd"
ip netns exec "$R" node --import tsx examples/l3fwd/l3fwd.ts --port v0:dp0 --port v1:dp1 --port v2:dp2 \
  <"$tmp/cmd" >"$tmp/out" 2>"$tmp/err" &
dp_pid=$!
exec 3>"$tmp/cmd"
wait_ready
tables

step "addresses on the proxies (Linux configures them; the data plane learns the routes from ifpx)"
for i in 1 2 3; do
  run ip -n "$R" addr add "10.0.$i.1/24" dev "dp$((i - 1))"
  run ip -n "$R" -6 addr add "2001:db8:$i::1/64" dev "dp$((i - 1))" nodad
done

step "ping both ways, IPv4 and IPv6 (the first packets go through Linux, which resolves the neighbours)"
run ip netns exec "$H1" ping -c 3 -i 0.2 10.0.2.2
run ip netns exec "$H1" ping -c 3 -i 0.2 2001:db8:2::2
run ip netns exec "$H2" ping -c 3 -i 0.2 10.0.1.2
run ip netns exec "$H2" ping -c 3 -i 0.2 2001:db8:1::2
run ip netns exec "$H1" ping -c 2 -i 0.2 10.0.1.1
counters
run ip netns exec "$H1" ping -c 200 -i 0.002 -q 10.0.2.2
counters
echo "  (the fast path forwarded those; Linux's counters did not move)"
tables

step "ip route add of a remote prefix via a host (h2)"
run ip -n "$R" route add 203.0.113.0/24 via 10.0.2.2
run ip -n "$R" -6 route add 2001:db8:ff::/64 via 2001:db8:2::2
run ip netns exec "$H1" ping -c 3 -i 0.2 203.0.113.1
run ip netns exec "$H1" ping -c 3 -i 0.2 2001:db8:ff::1
printf '  packets received by h2: %s, by h3: %s\n' "$(ip netns exec "$H2" cat /sys/class/net/eth0/statistics/rx_packets)" "$(ip netns exec "$H3" cat /sys/class/net/eth0/statistics/rx_packets)"

step "the route replaced to another next hop (h3)"
run ip -n "$R" route replace 203.0.113.0/24 via 10.0.3.2
run ip -n "$R" -6 route replace 2001:db8:ff::/64 via 2001:db8:3::2
run ip netns exec "$H1" ping -c 3 -i 0.2 203.0.113.1
run ip netns exec "$H1" ping -c 3 -i 0.2 2001:db8:ff::1
printf '  packets received by h2: %s, by h3: %s\n' "$(ip netns exec "$H2" cat /sys/class/net/eth0/statistics/rx_packets)" "$(ip netns exec "$H3" cat /sys/class/net/eth0/statistics/rx_packets)"
tables

step "the route deleted (the data plane has no route: punted, Linux answers unreachable)"
run ip -n "$R" route del 203.0.113.0/24
run ip -n "$R" -6 route del 2001:db8:ff::/64
run ip netns exec "$H1" ping -c 2 -i 0.2 -W 1 203.0.113.1
counters

step "proxy link down (nothing leaves port 1), then up (Linux resolves again, the fast path takes over)"
run ip -n "$R" link set dp1 down
run ip netns exec "$H1" ping -c 2 -i 0.2 -W 1 10.0.2.2
run ip -n "$R" link set dp1 up
sleep 0.5
run ip netns exec "$H1" ping -c 3 -i 0.2 10.0.2.2
run ip netns exec "$H1" ping -c 3 -i 0.2 2001:db8:2::2

step "port link down (port -> proxy sync): dp1 stays up but loses carrier, Linux flags its routes linkdown; link up again"
p1=$(grep -m1 '^READY' "$tmp/out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s.slice(6)).ports[1].port))')
dp "link $p1 down" OK
sleep 0.5
run ip -n "$R" link show dp1
run ip -n "$R" route show dev dp1
run ip netns exec "$H1" ping -c 1 -W 1 10.0.2.2
dp "link $p1 up" OK
sleep 0.5
run ip -n "$R" route show dev dp1
run ip netns exec "$H1" ping -c 2 -i 0.2 10.0.2.2

step "MTU 1400 on dp1: larger packets are punted; Linux answers frag-needed / packet-too-big, or fragments"
run ip -n "$R" link set dp1 mtu 1400
sleep 0.2
run ip netns exec "$H1" ping -c 1 -M do -s 1450 -W 1 10.0.2.2
run ip netns exec "$H1" ping -c 2 -i 0.2 -M dont -s 1450 10.0.2.2
run ip netns exec "$H1" ping -c 2 -i 0.2 -s 1450 2001:db8:2::2
counters
tables

step "done: the data plane quits, the namespaces go"
