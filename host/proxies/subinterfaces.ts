// Sub-interface proxies (option subinterfaces): the core makes a VLAN (QinQ)
// child of a proxy a proxy itself, inside process() (assembly/subif.ts), so no
// address or route that follows its creation is lost. This side keeps the
// registry in step with the core's slots, so isProxy/info/bind/portsOf work
// for them, and hands each new one to the application's `port` callback,
// whose answer is bound like any late bind (its state replayed, then
// PORT_DONE). It asks the core (subif_changes/subif_next) instead of reading
// SUBIF records: those are staged only for ports bound to the root proxy and
// for types someone consumes.
import type { Core } from "../core/core.js";
import { decodeEvent, type SubifEvent } from "../record.js";
import type { Reporter } from "../safe-timer.js";
import type { SubinterfaceInfo } from "../options.js";
import type { ProxyRegistry } from "./registry.js";

export class Subinterfaces {
  private seen = 0;

  constructor(
    private readonly core: Core,
    private readonly registry: ProxyRegistry,
    private readonly portOf: ((sub: SubinterfaceInfo) => number | undefined) | undefined,
    private readonly bind: (port: number, proxy: number) => void,
    private readonly report: Reporter,
  ) {}

  /** After each core call that may have made or freed one (cheap when nothing changed). */
  reconcile(): void {
    const x = this.core.x;
    const changes = x.subif_changes() >>> 0;
    if (changes === this.seen) return;
    this.seen = changes;
    const live = new Map<number, SubinterfaceInfo>();
    for (let id = x.subif_next(-1); id >= 0; id = x.subif_next(id)) live.set(id, this.read(id));
    for (const id of this.registry.ids()) {
      const e = this.registry.get(id)!;
      if (e.subinterface && live.get(id)?.ifindex !== e.ifindex) this.registry.forget(id);
    }
    const added: SubinterfaceInfo[] = [];
    for (const [id, sub] of live) {
      if (this.registry.has(id)) continue;
      this.registry.track({ id, ifindex: sub.ifindex, name: sub.name, owned: false, subinterface: true });
      added.push(sub);
    }
    // after the registry knows all of them: a callback may look at any
    for (const sub of added) this.assign(sub);
  }

  private read(id: number): SubinterfaceInfo {
    const e = decodeEvent(this.core.view, this.core.x.subif_info(id) >>> 0) as SubifEvent;
    return {
      proxyId: id, ifindex: e.ifindex, name: e.name, parentProxy: e.parentProxy, rootProxy: e.rootProxy,
      vlanId: e.vlanId, vlanProto: e.vlanProto, outerVlanId: e.outerVlanId, outerVlanProto: e.outerVlanProto,
    };
  }

  private assign(sub: SubinterfaceInfo): void {
    if (!this.portOf) return;
    try {
      const port = this.portOf(sub);
      if (port !== undefined && port !== null) this.bind(port, sub.proxyId);
    } catch (e) {
      this.report(e);
    }
  }
}
