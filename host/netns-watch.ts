// Notice that the named network namespace a listener watches was deleted
// (`ip netns del`) or replaced by another of the same name. The kernel keeps
// the namespace alive while ifpx holds sockets and taps in it, so netlink
// says nothing; the name's bind mount under /var/run/netns is what goes. An
// inotify watch on that directory (fs.watch) compares the namespace the name
// points to with the one seen at listen (nsfs inode), and says so once.
import { watch, statSync, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { netnsPath } from "./netns.js";

export interface NetnsWatch { close(): void }

/** undefined when the name cannot be watched (a /proc path, no such directory): nothing is signalled then. */
export function watchNetnsName(name: string, onGone: () => void): NetnsWatch | undefined {
  const path = netnsPath(name);
  if (path.startsWith("/proc/")) return undefined;
  let ino: number, dev: number;
  try { ({ ino, dev } = statSync(path)); } catch { return undefined; }
  let w: FSWatcher | undefined;
  const close = () => { w?.close(); w = undefined; };
  const check = () => {
    if (!w) return;
    try {
      const st = statSync(path);
      if (st.ino === ino && st.dev === dev) return;
    } catch { /* gone */ }
    close();
    onGone();
  };
  try {
    w = watch(dirname(path), { persistent: false }, (_event, file) => { if (!file || String(file) === basename(path)) check(); });
    w.on("error", close);
  } catch {
    return undefined;
  }
  return { close };
}
