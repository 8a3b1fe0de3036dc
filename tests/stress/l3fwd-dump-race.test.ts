// Stress reproduction (not part of npm test: tests/run.sh runs tests/unit and
// tests/integration only) for the stale route of l3fwd.test.ts's last test.
// Repeats its add-with-overrun / delete-with-ring-overflow cycle; on a
// mismatch it forces a resync: if that removes the stale route, ifpx's mirror
// held it (the event stream was wrong, not the data plane).
//   ITERS=90 MODE0=1 NO_COLOR=1 node --import tsx node_modules/uvu/bin.js tests/stress '^l3fwd-dump-race\.test\.ts$'
// (run beside CPU load; mode 1/2 also pause ifpx's netlink reading during the deletes)
import { test } from "uvu";
import { prepareL3fwd, kernelRoutes, dataplaneRoutes, diff, ipBatch, type Stats } from "../../examples/l3fwd/driver.js";
import { l3fwdBed, waitStats as waitDpStats, waitTablesEqual, type L3fwdBed } from "../integration/helpers/l3fwd.js";

const reason = prepareL3fwd();
if (reason) console.log(reason);
let bed: L3fwdBed;
const waitStats = (what: string, ok: (s: Stats) => boolean, ms?: number) => waitDpStats(bed.dp, what, ok, ms);
// routes only; on a timeout, what a forced resync then finds (was the data plane or ifpx's mirror stale?)
const eq = (what: string, ms = 15000) => waitTablesEqual(bed, what, { ms, routesOnly: true, onTimeout: async () => {
  const st = await bed.dp.stats();
  await bed.dp.command("resync", "OK");
  await new Promise((res) => setTimeout(res, 3000));
  await bed.dp.settle(ms);
  const r2 = diff(kernelRoutes(bed.router.name, bed.portOf), dataplaneRoutes(await bed.dp.tables()));
  return `after a forced resync: dp-only ${r2.onlyDataplane.length} kernel-only ${r2.onlyKernel.length}; stats before it ${JSON.stringify(st)}`;
} });
test.before(async () => { bed = await l3fwdBed(3, ["--ring-size", "1024", "--rcvbuf", "65536"]); });
test.after(async () => { await bed?.remove(); });
test("stress", async () => {
  const R = bed.router.name;
  const v4 = (i: number) => `198.18.${i >> 8}.${i & 255}/32`;
  const v6 = (i: number) => `2001:db8:77::${i.toString(16)}/128`;
  function* lines(verb: string) {
    for (let i = 0; i < 3000; i++) yield `route ${verb} ${v4(i)} via 10.0.2.2 dev dp1`;
    for (let i = 0; i < 1000; i++) yield `route ${verb} ${v6(i)} via 2001:db8:3::2 dev dp2`;
  }
  await eq("before");
  const iters = Number(process.env.ITERS ?? 20);
  for (let it = 0; it < iters; it++) {
    const mode = process.env.MODE0 ? 0 : it % 3;
    const s0 = await bed.dp.stats();
    await bed.dp.command("pause", "OK");
    await ipBatch(R, lines("add"));
    await bed.dp.command("resume", "OK");
    void s0;
    await eq(`it ${it} after add`);
    const s1 = await bed.dp.stats();
    await bed.dp.command("hold on", "OK");
    if (mode) await bed.dp.command("pause", "OK");
    await ipBatch(R, lines("del"));
    if (mode === 2) await bed.dp.command("resume", "OK");
    if (mode === 1) { await bed.dp.command("resume", "OK"); await new Promise((r) => setTimeout(r, Math.random() * 50)); }
    await waitStats("ring overflow", (s) => s.ring.lost > s1.ring.lost, 10000);
    await bed.dp.command("hold off", "OK");
    await waitStats("swept", (s) => s.replays_swept > s1.replays_swept, 15000);
    await eq(`it ${it} mode ${mode} after del`);
    console.log(`it ${it} mode ${mode} ok`);
  }
});
test.run();
