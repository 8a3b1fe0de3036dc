#!/usr/bin/env bash
# FRR drives the l3fwd-ifpx data plane. As root from the repository root:
#
#   bash examples/l3fwd/frr-demo.sh [PREFIXES]        (default 1000)
#
# Three namespaces: a BGP peer (FRR bgpd, AS 64502) with two links to the
# router, the router (the l3fwd data plane with proxies dp0..dp2 on links
# v0..v2, and FRR zebra + bgpd, AS 64501, on those proxies) and a host on the
# third link, where pings start. The BGP sessions cross the data plane (its
# punt path: they are addressed to the router). Then: the peer announces
# PREFIXES /24s from 100.0.0.0, zebra installs them with nexthop objects, ifpx
# delivers them, the data plane forwards the host's pings; the peer withdraws
# half; changes the next hop by route-map; a second session gives ECMP over two
# proxies; the sessions are shut down. Everything is removed at the end (or on
# Ctrl-C). See examples/l3fwd/FRR.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ "$(id -u)" -eq 0 ] || { echo "frr-demo: run as root (namespaces, af_packet)" >&2; exit 1; }
for c in ping ethtool vtysh /usr/lib/frr/bgpd; do command -v $c >/dev/null || { echo "frr-demo: $c missing: bash scripts/test-setup.sh installs what is needed" >&2; exit 1; }; done
[ -f dist/core.wasm ] || npm run -s build
[ -f native/build/libifpx_dpdk.so ] || bash native/build.sh
bash examples/l3fwd/build.sh >/dev/null
N=${1:-1000}

P="frrdemo$$-peer"; R="frrdemo$$-r"; H="frrdemo$$-host"
tmp=$(mktemp -d); chmod 755 "$tmp"
dp_pid=""
cleanup() {
  # FRR daemons (daemonised: pid 1 may not reap them; a zombie is gone enough)
  for f in "$tmp"/*/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  if [ -n "$dp_pid" ] && kill -0 "$dp_pid" 2>/dev/null; then echo quit >&3 || true; wait "$dp_pid" || true; fi
  for n in "$P" "$R" "$H"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. examples/l3fwd/demo-lib.sh
# what the data plane holds and did: IPv4 prefixes in its FIB, fast path per port, punts
counters() {
  dp stats STATS
  grep '^STATS' "$tmp/out" | tail -1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s.slice(6));
    console.log(`  data plane: ${j.lpm4} IPv4 prefixes in the FIB, ${j.neighs} neighbours; fast path out of each port ${j.ports.map(p=>p.tx-p.from_proxy).join(" / ")}; punted ${j.punted}`)})'
}
vty() { ip netns exec "$1" vtysh --vty_socket "$tmp/$1" "${@:2}"; }
bgp_routes() { printf '  kernel of %s: %s BGP routes\n' "$R" "$(ip -n "$R" route show proto bgp | grep -c '^[0-9]')"; }
lpm4() { dp stats STATS; grep '^STATS' "$tmp/out" | tail -1 | sed 's/.*"lpm4":\([0-9]*\).*/\1/'; }
# waits until the router's kernel has $1 BGP routes and the data plane's FIB as many more prefixes than at the start
settle() {
  for _ in $(seq 1 600); do
    if [ "$(ip -n "$R" route show proto bgp | grep -c '^[0-9]')" -eq "$1" ] && [ "$(lpm4)" -eq $((base + $1)) ]; then return 0; fi
    sleep 0.1
  done
  echo "  (not settled)"
}

step "namespaces: $P (BGP peer), $R (router), $H (host)"
for n in "$P" "$R" "$H"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
# link i: router v<i-1> <-> eth0/eth1 of the peer or the host, 10.0.i.0/24
link() { # i router-if ns ns-if
  ip link add "$2" netns "$R" type veth peer name "$4" netns "$3"
  # the router's kernel ignores the data plane's links (the proxies have their MACs: rp_filter, topology.sh)
  ip netns exec "$R" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" "net.ipv4.conf.$2.rp_filter=1"
  ip -n "$R" link set "$2" arp off up
  ip -n "$3" addr add "10.0.$1.2/24" dev "$4"
  ip -n "$3" link set "$4" up
  ip netns exec "$3" ethtool -K "$4" tx off >/dev/null   # af_packet passes partial checksums on
}
link 1 v0 "$P" eth0; link 2 v1 "$H" eth0; link 3 v2 "$P" eth1
ip -n "$P" route add default via 10.0.1.1
ip -n "$H" route add default via 10.0.2.1
# the peer answers on the first address of some prefixes (a /32: tables local and main are merged,
# so the announced /24 blackholes would hide a shorter prefix on lo)
for i in $(seq 0 15); do ip -n "$P" addr add "100.0.$i.1/32" dev lo; done
echo "  link 1: $P eth0 10.0.1.2 -- v0/dp0 10.0.1.1 $R"
echo "  link 2: $H eth0 10.0.2.2 -- v1/dp1 10.0.2.1 $R"
echo "  link 3: $P eth1 10.0.3.2 -- v2/dp2 10.0.3.1 $R"

step "the data plane in $R: net_af_packet ports on v0..v2, net_tap proxies dp0..dp2 (ifpx)"
mkfifo "$tmp/cmd"
ip netns exec "$R" node --import tsx examples/l3fwd/l3fwd.ts --port v0:dp0 --port v1:dp1 --port v2:dp2 \
  --routes4 $((N + 65536)) <"$tmp/cmd" >"$tmp/out" 2>"$tmp/err" &
dp_pid=$!
exec 3>"$tmp/cmd"
wait_ready
for i in 1 2 3; do ip -n "$R" addr add "10.0.$i.1/24" dev "dp$((i - 1))"; ip -n "$R" link set "dp$((i - 1))" up; done

step "the peer's table: $N blackhole routes in its kernel, announced later by bgpd (redistribute kernel)"
for i in $(seq 0 $((N - 1))); do echo "route add blackhole $((100 + (i >> 16))).$(((i >> 8) & 255)).$((i & 255)).0/24"; done | ip -n "$P" -batch -

step "FRR: zebra + bgpd in $P and in $R (one directory each, no watchfrr)"
bgpd_conf() { # as router-id neighbour-as neighbour...
  local as=$1 id=$2 peer_as=$3; shift 3
  echo "ip prefix-list ANNOUNCE seq 5 permit 96.0.0.0/3 ge 24 le 24"
  echo "route-map ANNOUNCE permit 10"; echo " match ip address prefix-list ANNOUNCE"; echo "exit"
  echo "route-map NOTHING deny 10"; echo "exit"
  echo "route-map NH permit 10"; echo " set ip next-hop 10.0.3.2"; echo "exit"
  echo "router bgp $as"; echo " bgp router-id $id"; echo " no bgp ebgp-requires-policy"; echo " timers bgp 3 9"
  for n in "$@"; do echo " neighbor $n remote-as $peer_as"; echo " neighbor $n timers connect 1"; echo " neighbor $n advertisement-interval 0"; done
  echo " address-family ipv4 unicast"; echo "  maximum-paths 2"
  [ "$as" = 64501 ] && for n in "$@"; do echo "  neighbor $n route-map NOTHING out"; done
  echo " exit-address-family"; echo "exit"
}
start_frr() { # ns
  local d="$tmp/$1"
  mkdir -p "$d"; chown frr:frr "$d"; chmod 755 "$d"   # frr writes its pid files here after dropping root
  for daemon in zebra bgpd; do
    ip netns exec "$1" /usr/lib/frr/$daemon -d -u frr -g frr -f "$d/$daemon.conf" -i "$d/$daemon.pid" -z "$d/zserv.api" \
      --vty_socket "$d" -P 0 --log "file:$d/$daemon.log" $([ $daemon = zebra ] && echo "-s 90000000") 2>>"$d/$daemon.stderr"
    until [ -S "$d/$daemon.vty" ]; do sleep 0.05; done
  done
}
mkdir -p "$tmp/$P" "$tmp/$R"
bgpd_conf 64502 10.0.1.2 64501 10.0.1.1 10.0.3.1 > "$tmp/$P/bgpd.conf"
printf 'router bgp 64502\n neighbor 10.0.3.1 shutdown\nexit\n' >> "$tmp/$P/bgpd.conf"
bgpd_conf 64501 10.0.2.1 64502 10.0.1.2 10.0.3.2 > "$tmp/$R/bgpd.conf"
touch "$tmp/$P/zebra.conf" "$tmp/$R/zebra.conf"
start_frr "$P"; start_frr "$R"
until vty "$R" -c "show bgp neighbors 10.0.1.2" | grep -q "BGP state = Established"; do sleep 0.2; done
run vty "$R" -c "show bgp ipv4 unicast summary"
echo "  (the session's TCP packets are addressed to the router: the data plane punts them to dp0)"
counters

step "the peer announces $N prefixes"
base=$(lpm4)   # the proxies' own routes: connected, local, broadcast
run vty "$P" -c "configure terminal" -c "router bgp 64502" -c "address-family ipv4 unicast" -c "redistribute kernel route-map ANNOUNCE"
settle "$N"
bgp_routes
run ip -n "$R" route show 100.0.0.0/24
run ip -n "$R" nexthop show
counters
run ip netns exec "$H" ping -c 3 -i 0.2 100.0.0.1
run ip netns exec "$H" ping -c 100 -i 0.005 -q 100.0.0.1
counters
echo "  (port 0 carried the requests, port 1 the replies: the fast path)"

step "the peer withdraws the first half: forwarding to those stops"
for i in $(seq 0 $((N / 2 - 1))); do echo "route del blackhole $((100 + (i >> 16))).$(((i >> 8) & 255)).$((i & 255)).0/24"; done | ip -n "$P" -batch -
settle $((N - N / 2))
bgp_routes
run ip netns exec "$H" ping -c 2 -i 0.2 -W 1 100.0.0.1
counters
for i in $(seq 0 $((N / 2 - 1))); do echo "route add blackhole $((100 + (i >> 16))).$(((i >> 8) & 255)).$((i & 255)).0/24"; done | ip -n "$P" -batch -
settle "$N"
echo "  announced again"; bgp_routes

step "next hop changed by a route-map on the peer: set ip next-hop 10.0.3.2 (its second link)"
run vty "$P" -c "configure terminal" -c "router bgp 64502" -c "address-family ipv4 unicast" -c "neighbor 10.0.1.1 route-map NH out"
vty "$P" -c "clear bgp ipv4 unicast 10.0.1.1 soft out"
until ip -n "$R" route show 100.0.0.0/24 | grep -q "via 10.0.3.2"; do sleep 0.1; done
settle "$N"
run ip -n "$R" route show 100.0.0.0/24
run ip netns exec "$H" ping -c 100 -i 0.005 -q 100.0.0.1
counters
echo "  (the requests now leave through port 2)"
run vty "$P" -c "configure terminal" -c "router bgp 64502" -c "address-family ipv4 unicast" -c "no neighbor 10.0.1.1 route-map NH out"
vty "$P" -c "clear bgp ipv4 unicast 10.0.1.1 soft out"

step "ECMP: a second session over link 3, maximum-paths 2 on the router"
run vty "$P" -c "configure terminal" -c "router bgp 64502" -c "no neighbor 10.0.3.1 shutdown"
until ip -n "$R" route show 100.0.0.0/24 | grep -q "nexthop via 10.0.3.2"; do sleep 0.2; done
sleep 1
run ip -n "$R" route show 100.0.0.0/24
counters
for i in $(seq 0 15); do ip netns exec "$H" ping -c 1 -W 1 -q "100.0.$i.1" >/dev/null || echo "  100.0.$i.1: no reply"; done
counters
echo "  (16 flows, one per destination: the data plane hashes addresses, protocol and ports and picks a"
echo "   next hop by weight; each flow stays on one link)"

step "the sessions are shut down on the router"
run vty "$R" -c "configure terminal" -c "router bgp 64501" -c "neighbor 10.0.1.2 shutdown" -c "neighbor 10.0.3.2 shutdown"
settle 0
bgp_routes
run ip netns exec "$H" ping -c 2 -i 0.2 -W 1 100.0.0.1
counters

step "done: FRR stops, the data plane quits, the namespaces go"
