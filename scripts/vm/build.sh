#!/usr/bin/env bash
# Builds what scripts/vm/run.sh boots, once, into .cache/vm (gitignored):
#   vmlinux          Debian 12's generic kernel (linux-image-amd64's ABI package), taken out
#                    of its xz-compressed vmlinuz: QEMU boots the ELF through its PVH entry,
#                    which skips the decompression and real-mode set-up (slow under TCG).
#                    Not the -cloud flavour: that one is built without 9p.
#   initramfs.gz     busybox-static, scripts/vm/init, and the modules of MODULES below with
#                    their dependencies (modules.dep made by busybox depmod).
#   kernel.deb       the kernel's package, which the initramfs is rebuilt from.
# The packages are fetched with `apt-get download` and unpacked with `dpkg-deb -x`: installing
# a linux-image package would run initramfs and boot-loader hooks on the host. Idempotent:
# rebuilds only when a part is missing or scripts/vm/init changed.
set -eu
cd "$(dirname "$0")/../.."
# What the VM's tests may create that this machine's kernel lacks (8021q, vrf, dummy), what
# they already use (veth, tun, bridge, macvlan), and what the VM itself needs: the virtio
# PCI transport, 9p over virtio for the host's root, overlay for a writable view of it,
# virtio-rng so Node's start-up does not wait for entropy.
MODULES="virtio_pci 9pnet_virtio 9p overlay virtio_rng 8021q vrf dummy veth tun bridge macvlan"
cache=.cache/vm
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

download() { # package names, into $cache/debs
  mkdir -p "$cache/debs" && chmod 777 "$cache/debs"
  (cd "$cache/debs" && apt-get download -q "$@" >/dev/null 2>&1) || {
    apt-get update -qq && (cd "$cache/debs" && apt-get download -q "$@" >/dev/null); }
}

if [ ! -x "$cache/busybox" ]; then
  echo "vm/build: busybox-static"
  download busybox-static
  rm -rf "$cache/bb" && dpkg-deb -x "$cache"/debs/busybox-static_*.deb "$cache/bb"
  cp "$cache/bb/bin/busybox" "$cache/busybox" && rm -rf "$cache/bb"
fi

# The kernel's package stays in the cache as kernel.deb (its modules unpacked take several
# times its size): the initramfs is rebuilt from it when MODULES or scripts/vm/init change.
if [ ! -f "$cache/vmlinux" ] || [ ! -f "$cache/kernel.deb" ]; then
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1)
  if [ -z "$pkg" ]; then apt-get update -qq; pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1); fi
  [ -n "$pkg" ] || { echo "vm/build: no linux-image-amd64 in apt's lists" >&2; exit 1; }
  echo "vm/build: $pkg"
  download "$pkg"
  mv "$cache"/debs/"$pkg"_*.deb "$cache/kernel.deb.tmp"
  kver=$(dpkg-deb -c "$cache/kernel.deb.tmp" | sed -n 's|.* \./boot/vmlinuz-\(.*\)$|\1|p')
  [ -n "$kver" ] || { echo "vm/build: no vmlinuz in $pkg" >&2; exit 1; }
  rm -rf "$cache/kernel" && mkdir -p "$cache/kernel"
  dpkg-deb --fsys-tarfile "$cache/kernel.deb.tmp" | tar -x -C "$cache/kernel" "./boot/vmlinuz-$kver"
  vmlinuz=$cache/kernel/boot/vmlinuz-$kver
  # the payload starts at xz's stream magic; xz stops at its end (the bzImage tail follows)
  off=$(LC_ALL=C grep -abo $'\xfd7zXZ\x00' "$vmlinuz" | head -1 | cut -d: -f1)
  [ -n "$off" ] || { echo "vm/build: no xz payload in $vmlinuz" >&2; exit 1; }
  tail -c +$((off + 1)) "$vmlinuz" | xz -dcq > "$cache/vmlinux.tmp" 2>/dev/null || true
  [ "$(head -c 4 "$cache/vmlinux.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || { echo "vm/build: $vmlinuz did not unpack to an ELF" >&2; exit 1; }
  rm -rf "$cache/kernel"
  echo "$kver" > "$cache/kernel-version"
  mv "$cache/vmlinux.tmp" "$cache/vmlinux"
  mv "$cache/kernel.deb.tmp" "$cache/kernel.deb"
fi
kver=$(cat "$cache/kernel-version")

stamp=$(cat scripts/vm/init scripts/vm/build.sh "$cache/kernel-version" | sha256sum | cut -c1-16)
if [ -f "$cache/initramfs.gz" ] && [ "$(cat "$cache/initramfs.stamp" 2>/dev/null)" = "$stamp" ]; then exit 0; fi
echo "vm/build: initramfs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root"/{bin,dev,proc,sys,etc,lib/modules/"$kver"}
cp "$cache/busybox" "$root/bin/busybox"
cp scripts/vm/init "$root/init" && chmod 755 "$root/init"
# All of the kernel's modules.dep is needed only to find the dependencies; the initramfs
# gets the listed modules and what they depend on, and its own modules.dep.
full=$tmp/full/lib/modules/$kver
mkdir -p "$tmp/full" && dpkg-deb --fsys-tarfile "$cache/kernel.deb" | tar -x -C "$tmp/full" "./lib/modules/$kver"
"$cache/busybox" depmod -b "$tmp/full" "$kver"
for m in $MODULES; do
  line=$(grep -E "/${m//_/[_-]}\.ko(\.xz)?:" "$full/modules.dep") || { echo "vm/build: module $m not found" >&2; exit 1; }
  for ko in ${line/:/}; do
    mkdir -p "$root/lib/modules/$kver/$(dirname "$ko")"
    cp "$full/$ko" "$root/lib/modules/$kver/$ko"
  done
done
cp "$full/modules.builtin" "$full/modules.order" "$root/lib/modules/$kver/" 2>/dev/null || true
"$cache/busybox" depmod -b "$root" "$kver"
echo "$MODULES" > "$root/etc/ifpx-vm-modules"
(cd "$root" && find . | "$cache/busybox" cpio -o -H newc 2>/dev/null | gzip -1 > "$cache/initramfs.gz.tmp")
mv "$cache/initramfs.gz.tmp" "$cache/initramfs.gz"
echo "$stamp" > "$cache/initramfs.stamp"
