// Baseline: kernel -> listener latency with npm `netlink`, in-process.
// usage: node node-netlink-latency.mjs COUNT IFINDEX [PREFIX_HI]
// A subscribed socket (IPV4_ROUTE) and a writer socket; for each i, add then delete
// PREFIX_HI.(i>>8).(i&255).0/24 dev IFINDEX with newRoute/delRoute, timing from just
// before the call to the 'message' event that carries that route.
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { createRtNetlink } = require("netlink");

const count = Number(process.argv[2] || 1000), ifindex = Number(process.argv[3]);
const hi = Number(process.argv[4] || 198);
const lis = createRtNetlink({ ref: true });
lis.addMembership("IPV4_ROUTE");
const wr = createRtNetlink();
let waiting = null; // { key, kind, t0, resolve }
lis.on("message", (msgs) => {
  const t1 = process.hrtime.bigint();
  if (!waiting) return;
  for (const m of msgs) {
    if (m.kind !== "route" || !m.attrs.dst) continue;
    const key = Array.from(m.attrs.dst).join(".");
    if (key === waiting.key) { const w = waiting; waiting = null; w.resolve(Number(t1 - w.t0) / 1e3); return; }
  }
});
const samples = [];
let lost = 0;
for (let i = 0; i < count; i++) {
  const b = (i >> 8) & 255, c = i & 255;
  const dst = Buffer.from([hi, b, c, 0]);
  const key = `${hi}.${b}.${c}.0`;
  for (const add of [true, false]) {
    const got = new Promise((resolve) => {
      waiting = { key, resolve, t0: process.hrtime.bigint() };
      setTimeout(() => resolve(null), 1000);
    });
    const data = { family: 2, dstLen: 24, table: 254, protocol: "STATIC", scope: "LINK", type: "UNICAST" };
    const attrs = { dst, oif: ifindex };
    const req = add ? wr.newRoute(data, attrs, { flags: 0x400 | 0x200 /* CREATE|EXCL */ }) : wr.delRoute(data, attrs);
    const us = await got;
    await req;
    if (us == null) lost++; else samples.push(us);
  }
}
samples.sort((a, b) => a - b);
const pct = (p) => samples.length ? samples[Math.round(p * (samples.length - 1))] : 0;
console.log(JSON.stringify({ samples: samples.length, lost, p50Us: pct(0.5), p90Us: pct(0.9), p99Us: pct(0.99), maxUs: samples.at(-1) ?? 0 }));
lis.socket.close(); wr.socket.close();
process.exit(0);
