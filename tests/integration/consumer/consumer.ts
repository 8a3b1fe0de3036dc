// A TypeScript consumer of the installed package (tests/integration/consumer.test.ts
// typechecks it with tsc --strict, moduleResolution node16 and bundler).
import { Ifpx, EventType, IfpxError, QueueReader, formatEvent, neighUsable, decodeEvent, type IfpxEvent, type IfpxOptions, type IfpxStats } from "ifpx";
import { createDpdkPortBackend, DpdkPorts, RteRingQueue, Eal, dpdkAvailable, type EalOptions } from "ifpx/dpdk";
import { bundleApp, type BundleOptions, type BundleResult } from "ifpx/bundle";

const opts: IfpxOptions = { netns: "edge1", kinds: ["addr", "route"], families: [4], onError: (e: unknown) => console.error(e) };

export async function main(): Promise<IfpxStats> {
  const ifpx = new Ifpx(opts);
  const proxy: number = ifpx.createProxy({ name: "dp0" });
  ifpx.bind(0, proxy);
  ifpx.registerCallbacks([
    { type: EventType.ADDR_ADD, callback: (e: IfpxEvent) => { if (e.type === "ADDR_ADD") { const len: number = e.prefixLen; return len > 0; } return false; } },
    { type: EventType.NEIGH_ADD, callback: (e) => e.type === "NEIGH_ADD" && neighUsable(e.state) },
  ]);
  const q = ifpx.createQueue({ slots: 1024 });
  ifpx.queueAdd(q);
  const reader = QueueReader.attach(q.handle);
  for (let i = 0, n = reader.dequeue(); i < n; i++) console.log(formatEvent(decodeEvent(reader.view, reader.offset(i))));
  await ifpx.listen();
  const stats = ifpx.stats();
  const refusedKinds: string[] = stats.refused.map((r) => `${r.request} ${r.kind} ${r.errno}`);
  console.log(refusedKinds, stats.unreadable.toFixed(0));
  try { ifpx.bind(0, 12345); } catch (e) { if (e instanceof IfpxError) console.log(e.code satisfies string); }
  await ifpx.dispose();
  return stats;
}

export function dpdk(): void {
  const eal: EalOptions = {};
  if (!dpdkAvailable().ok) return;
  const ifpx = new Ifpx({ ports: createDpdkPortBackend(eal) });
  const port: number = DpdkPorts.createNullPort();
  ifpx.bind(port, ifpx.createProxy({ name: "dp1" }));
  ifpx.queueAdd(RteRingQueue.create("ifpx_events", 1024));
  void Eal;
}

export async function bundle(): Promise<number> {
  const o: BundleOptions = { entries: ["app.ts"], outDir: "out", target: "linux-arm64", libc: "glibc" };
  const r: BundleResult = await bundleApp(o);
  return r.bytes;
}
