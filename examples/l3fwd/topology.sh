#!/usr/bin/env bash
# Wires hosts to a router for l3fwd-ifpx, in namespaces that already exist:
#
#   topology.sh ROUTER HOST1 HOST2 [HOST3 ...]
#
# Host i (1-based) gets a veth `eth0` whose peer `v<i-1>` is in ROUTER: the
# data link the data plane opens with net_af_packet. Host i has 10.0.i.2/24 and
# 2001:db8:i::2/64, default routes via 10.0.i.1 / 2001:db8:i::1 (the addresses
# the demo puts on proxy dp<i-1>). Hosts 2.. also have 203.0.113.1/32 and
# 2001:db8:ff::1/128 on lo: the "remote prefix" a route on the router can send
# to one host or another.
#
# Router side (platform-notes, "Packets between namespaces through DPDK"): the
# kernel must ignore the veth ends (no address, no IPv6, no ARP, strict reverse
# path filter), or it answers and routes frames the data plane also handles and
# every packet arrives twice. ifpx gives each proxy its port's MAC, which is
# the veth end's own: frames to the router are then addressed to v<i> too, and
# only rp_filter (the sources are reachable through the proxies, not v<i>)
# keeps Linux from routing them a second time;
# forwarding is on (the punt path: Linux routes what the fast path cannot), and
# IPv6 addresses survive a proxy's link down as IPv4 ones do (keep_addr_on_down;
# without it Linux deletes them, and their routes do not come back at link up).
# Host side: no transmit checksum offload (af_packet would pass partial
# checksums and 64 KiB GSO frames on as they are).
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 ROUTER HOST1 HOST2 [HOST3 ...]" >&2; exit 2; }
r=$1; shift
ip -n "$r" link set lo up
ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.forwarding=1 \
  net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.default.keep_addr_on_down=1
i=0
for h in "$@"; do
  n=$((i + 1))
  ip link add "v$i" netns "$r" type veth peer name eth0 netns "$h"
  ip netns exec "$r" sysctl -qw "net.ipv6.conf.v$i.disable_ipv6=1" "net.ipv4.conf.v$i.rp_filter=1"
  ip -n "$r" link set "v$i" arp off up
  ip -n "$h" link set lo up
  ip -n "$h" addr add "10.0.$n.2/24" dev eth0
  ip -n "$h" -6 addr add "2001:db8:$n::2/64" dev eth0 nodad
  ip -n "$h" link set eth0 up
  ip -n "$h" route add default via "10.0.$n.1"
  ip -n "$h" -6 route add default via "2001:db8:$n::1"
  ip netns exec "$h" ethtool -K eth0 tx off >/dev/null 2>&1 || echo "topology: ethtool -K eth0 tx off failed in $h (is ethtool installed?)" >&2
  if [ "$i" -gt 0 ]; then
    ip -n "$h" addr add 203.0.113.1/32 dev lo
    ip -n "$h" -6 addr add 2001:db8:ff::1/128 dev lo
  fi
  i=$n
done
