#!/usr/bin/env bash
# Runs a command inside a throwaway QEMU VM that boots Debian 12's own kernel, which has
# what this machine's kernel lacks (802.1Q VLAN, VRF, dummy). The VM sees the host's root
# read-only over 9p under a tmpfs overlay (so it runs the host's node, ip and this
# repository as they are, and nothing it writes reaches the host), starts in the
# repository's directory and exits with the command's exit code; the command's output
# goes to stdout. See tests/vm/README.md.
#   scripts/vm/run.sh [--timeout SECONDS] -- CMD ARGS...
# Environment passed in: PATH, HOME, LANG, TERM, NO_COLOR, IFPX_*.
# IFPX_VM_SMP, IFPX_VM_MEM (MiB) size the VM; IFPX_VM_VERBOSE=1 shows the kernel's messages.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
timeout_s=900
while [ $# -gt 0 ]; do
  case $1 in
    --timeout) timeout_s=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: scripts/vm/run.sh [--timeout SECONDS] -- CMD ARGS..." >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: scripts/vm/run.sh [--timeout SECONDS] -- CMD ARGS..." >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "vm/run: qemu-system-x86_64 missing (scripts/test-setup.sh installs it)" >&2; exit 125; }
bash "$repo/scripts/vm/build.sh"
cache=$repo/.cache/vm

job=$(mktemp -d /tmp/ifpx-vm-job.XXXXXX)
trap 'rm -rf "$job"' EXIT
{
  printf 'cd %q || exit 126\n' "$(pwd)"
  for v in PATH HOME LANG TERM NO_COLOR $(compgen -e | grep '^IFPX_' || true); do
    [ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
  done
  printf 'export IFPX_IN_VM=1\nexec'
  printf ' %q' "$@"
  printf '\n'
} > "$job/cmd.sh"

append="console=ttyS0 panic=-1 rdinit=/init"
[ "${IFPX_VM_VERBOSE:-0}" = 1 ] || append="$append quiet loglevel=1"
set +e
# One vCPU: with two, what the tests do most (fork from Node, `ip netns exec`'s mount namespace)
# got slower under TCG (probably cross-vCPU TLB flushes, RCU grace periods) than Node gains from a
# second one. -no-reboot turns a kernel panic's reboot (panic=-1) into QEMU's exit; multidevs=remap
# keeps inode numbers unique across the host's mounts under /.
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
  -machine pc -accel tcg -cpu max -smp "${IFPX_VM_SMP:-1}" -m "${IFPX_VM_MEM:-2048}" \
  -nodefaults -no-user-config -display none -no-reboot \
  -kernel "$cache/vmlinux" -initrd "$cache/initramfs.gz" -append "$append" \
  -chardev stdio,id=console,signal=off -serial chardev:console \
  -device virtio-rng-pci \
  -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
  -fsdev local,id=job,path="$job",security_model=none \
  -device virtio-9p-pci,fsdev=job,mount_tag=job </dev/null |
  sed -u '/^\[ *[0-9.]*\] reboot: Power down\r\?$/d' # the kernel's last word, even when quiet
qrc=${PIPESTATUS[0]}
set -e
if [ ! -s "$job/rc" ]; then
  if [ "$qrc" -eq 124 ]; then echo "vm/run: timed out after ${timeout_s}s" >&2; else echo "vm/run: the VM ended (QEMU exit $qrc) without the command's exit code" >&2; fi
  exit 125
fi
exit "$(cat "$job/rc")"
