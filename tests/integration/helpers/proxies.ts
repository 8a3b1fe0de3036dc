// Two tap proxies, prxa and prxb, bound to ports 1 and 2 and up, with the
// given addresses ("ip addr add A dev prxa" for each of a, "... prxb" for b).
import type { Ifpx } from "../../../host/index.js";
import type { Netns } from "./netns.js";

export function twoProxies(ns: Netns, ifpx: Ifpx, addrs: { a?: string[]; b?: string[] } = {}): { a: number; b: number } {
  const a = ifpx.createProxy({ name: "prxa" });
  const b = ifpx.createProxy({ name: "prxb" });
  ifpx.bind(1, a);
  ifpx.bind(2, b);
  for (const [dev, list] of [["prxa", addrs.a ?? []], ["prxb", addrs.b ?? []]] as const) {
    ns.ip("link", "set", dev, "up");
    for (const addr of list) ns.ip(...(addr.includes(":") ? ["-6", "addr", "add", addr, "dev", dev, "nodad"] : ["addr", "add", addr, "dev", dev]));
  }
  return { a, b };
}
