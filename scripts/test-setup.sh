#!/usr/bin/env bash
# What the tests need on a fresh Debian machine besides npm packages: iproute2,
# DPDK 22.11 (libdpdk-dev, for the native shim and the C primary example),
# hugepages for the DPDK multi-process test, ping and ethtool for examples/l3fwd,
# FRR and tcpdump for the FRR tests, the native shim itself, and what the
# linux-arm64 bundle test runs under emulation (qemu-user-static, an arm64 Node,
# koffi's arm64 module and the arm64 C runtime, cached in .cache/arm64), and the
# test VM of tests/vm (qemu-system-x86; Debian's kernel and busybox-static are
# unpacked into .cache/vm by scripts/vm/build.sh, not installed).
# Idempotent; runs as `pretest`. Needs root (the tests need it anyway).
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then echo "test-setup: not root: skipping system set-up"; exit 0; fi
need=""
command -v ip >/dev/null || need="$need iproute2"
command -v pkg-config >/dev/null || need="$need pkg-config"
pkg-config --exists libdpdk 2>/dev/null || need="$need libdpdk-dev dpdk"
command -v cc >/dev/null || need="$need gcc libc6-dev"
command -v qemu-aarch64-static >/dev/null || need="$need qemu-user-static"
# examples/l3fwd's test: pings between host namespaces, checksum offload off on their veths
command -v ping >/dev/null || need="$need iputils-ping"
command -v ethtool >/dev/null || need="$need ethtool"
# FRR tests (tests/integration/frr-*): zebra, bgpd and vtysh; tcpdump for the time of BGP UPDATEs
{ [ -x /usr/lib/frr/bgpd ] && command -v vtysh >/dev/null; } || need="$need frr"
command -v tcpdump >/dev/null || need="$need tcpdump"
if [ -n "$need" ]; then
  echo "test-setup: installing$need"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq $need >/dev/null
fi
# Hugepages: the DPDK secondary-process test needs file-backed hugepage memory.
if [ -w /proc/sys/vm/nr_hugepages ] && [ "$(cat /proc/sys/vm/nr_hugepages)" -lt 256 ]; then
  echo 256 > /proc/sys/vm/nr_hugepages || true
fi
mkdir -p /dev/hugepages
mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages || true
[ -e /dev/net/tun ] || { mkdir -p /dev/net; mknod /dev/net/tun c 10 200; }
# The test VM (tests/vm/README.md): QEMU without its recommends (GUI, firmware for
# other machines); installed on its own so the list above keeps its recommends.
if ! command -v qemu-system-x86_64 >/dev/null; then
  echo "test-setup: installing qemu-system-x86"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends qemu-system-x86 >/dev/null 2>&1 || {
    apt-get update -qq && apt-get install -y -qq --no-install-recommends qemu-system-x86 >/dev/null; }
fi
bash native/build.sh
bash scripts/setup-arm64.sh
bash scripts/vm/build.sh
