// Run a synchronous function inside a named network namespace (ip netns add
// NAME => /var/run/netns/NAME). setns() switches only the calling thread; we
// switch the main thread for the few calls that create kernel objects
// (sockets, taps keep the namespace they were created in) and switch back at
// once, so nothing else in the process observes the change.
import * as libc from "./libc.js";
import { IfpxError } from "./errors.js";

export function netnsPath(name: string): string {
  return name.includes("/") ? name : `/var/run/netns/${name}`;
}

export function inNetns<T>(name: string | undefined, fn: () => T): T {
  if (!name) return fn();
  const self = libc.open("/proc/thread-self/ns/net", libc.O_RDONLY | libc.O_CLOEXEC);
  if (self < 0) throw new IfpxError("EPERM", "cannot open /proc/thread-self/ns/net: is /proc mounted?", libc.errno());
  const target = libc.open(netnsPath(name), libc.O_RDONLY | libc.O_CLOEXEC);
  if (target < 0) {
    const e = libc.errno();
    libc.close(self);
    throw new IfpxError("ENOENT", `network namespace "${name}" not found (${netnsPath(name)}); create it with \`ip netns add ${name}\``, e);
  }
  try {
    if (libc.setns(target, libc.CLONE_NEWNET) !== 0) {
      const e = libc.errno();
      throw new IfpxError("EPERM", `cannot enter network namespace "${name}": ifpx needs CAP_SYS_ADMIN for namespaces (run as root)`, e);
    }
    try {
      return fn();
    } finally {
      if (libc.setns(self, libc.CLONE_NEWNET) !== 0) {
        // Staying in the wrong namespace would silently misdirect every later socket.
        throw new IfpxError("EIO", "cannot return to the original network namespace", libc.errno());
      }
    }
  } finally {
    libc.close(target);
    libc.close(self);
  }
}
