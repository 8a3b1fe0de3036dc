// What watch, show and stats share: an Ifpx in a namespace (or here) with the
// named interfaces adopted as proxies, bound to ports 0, 1, ... in order.
import { Ifpx } from "../ifpx.js";
import type { FollowKind } from "../followed-kinds.js";
import { UsageError } from "./command.js";

export const LISTENER_OPTIONS = {
  netns: { type: "string" },
  kinds: { type: "string" },
  json: { type: "boolean" },
  subinterfaces: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export const LISTENER_HELP = `  --netns NS     the interfaces are in network namespace NS (a name under /var/run/netns, or a path)
  --kinds LIST   follow only these besides links: comma-separated addr,route,neigh (default all)
  --json         JSON lines (schema in the README, section CLI)
  --subinterfaces  VLAN (QinQ) interfaces created on them become proxies too (SUBIF_ADD), bound to
                 the next port numbers in the order they appear
  IFNAME         an interface name or ifindex; the first is port 0, the next port 1, ...`;

export interface Adopted { ifpx: Ifpx; ports: { port: number; proxy: number; name: string }[] }

export function openListener(values: Record<string, string | boolean | undefined>, names: string[], onError?: (e: unknown) => void): Adopted {
  if (!names.length) throw new UsageError("no interface given");
  const kinds = typeof values.kinds === "string" ? values.kinds.split(",").filter(Boolean) as FollowKind[] : undefined;
  let nextPort = names.length;
  const subinterfaces = values.subinterfaces === true ? { port: () => nextPort++ } : undefined;
  const ifpx = new Ifpx({ netns: values.netns as string | undefined, kinds, onError, subinterfaces });
  try {
    const ports = names.map((name, port) => {
      const proxy = ifpx.adoptProxy(/^\d+$/.test(name) ? Number(name) : name);
      ifpx.bind(port, proxy);
      return { port, proxy, name };
    });
    return { ifpx, ports };
  } catch (e) {
    void ifpx.dispose();
    throw e;
  }
}

/** Listener errors on stderr, one line each (stdout carries only events). */
export function warn(e: unknown): void {
  const err = e as { code?: string; message?: string };
  process.stderr.write(`ifpx: ${err.code ? `${err.code}: ` : ""}${err.message ?? String(e)}\n`);
}
