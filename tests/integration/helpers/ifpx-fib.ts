// A FIB built only from ifpx's events, as a data plane would build it: one
// route line per next hop (helpers/route-views.ts), added on ROUTE_ADD and
// removed on ROUTE_DEL. It watches existing interfaces of a namespace (adopted
// as proxies), so it can follow the proxies of another process (the l3fwd data
// plane) or plain veths, and it notes when it last changed and how many route
// events it applied (the time "ifpx delivered all of them").
import { Ifpx, EventType, EventFlag, type IfpxEvent } from "../../../host/index.js";
import { routeLine, type RouteLine } from "./route-views.js";

const RT_TABLE_MAIN = 254;
const RTN_UNICAST = 1;

export class IfpxFib {
  readonly ifpx: Ifpx;
  readonly lines = new Set<RouteLine>();
  /** Date.now() of the last route event applied */
  lastChange = 0;
  routeEvents = 0;
  private readonly devOfPort = new Map<number, string>();
  private changed: (() => void)[] = [];

  constructor(netns: string, devs: string[], opts: { reserve?: number } = {}) {
    this.ifpx = new Ifpx({ netns, families: [4], onError: (e) => { throw e; },
      reserve: opts.reserve ? { routes4: opts.reserve } : undefined });
    devs.forEach((dev, port) => {
      this.ifpx.bind(port, this.ifpx.adoptProxy(dev));
      this.devOfPort.set(port, dev);
    });
    const apply = (e: IfpxEvent) => { this.apply(e); return true; };
    this.ifpx.registerCallbacks([{ type: EventType.ROUTE_ADD, callback: apply }, { type: EventType.ROUTE_DEL, callback: apply }]);
  }

  private apply(e: IfpxEvent): void {
    const r = e as any;
    if (r.table !== RT_TABLE_MAIN || r.routeType !== RTN_UNICAST || (r.flags & EventFlag.LOCAL)) return;
    const gw = r.gatewayNum || (r.flags & EventFlag.GATEWAY6) ? r.gateway : undefined;
    const line = routeLine(`${r.ip}/${r.depth}`, this.devOfPort.get(r.portId)!, gw);
    if (e.type === "ROUTE_ADD") this.lines.add(line); else this.lines.delete(line);
    this.routeEvents++;
    this.lastChange = Date.now();
    for (const w of this.changed.splice(0)) w();
  }

  listen(): Promise<void> { return this.ifpx.listen(); }

  /** the FIB's lines, sorted (optionally only prefixes matching) */
  view(prefix?: (p: string) => boolean): RouteLine[] {
    const all = [...this.lines];
    return (prefix ? all.filter((l) => prefix(l.slice(0, l.indexOf(" ")))) : all).sort();
  }

  /** resolves at the next route event (or after ms) */
  nextChange(ms: number): Promise<void> {
    return new Promise((r) => { const t = setTimeout(r, ms); this.changed.push(() => { clearTimeout(t); r(); }); });
  }

  close(): Promise<void> { return this.ifpx.dispose(); }
}
