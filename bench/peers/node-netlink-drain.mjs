// Baseline: drain a full notification socket with npm `netlink`.
// usage: node node-netlink-drain.mjs RCVBUF_BYTES COUNT [IDLE_MS] [force]
// Subscribes to IPV4_ROUTE, prints "ready <rcvbuf>", then blocks the event loop on
// a synchronous stdin read (so the socket is NOT read) until the harness writes a
// line; then counts route messages until COUNT or IDLE_MS without any.
// "force": SO_RCVBUFFORCE through koffi on its fd (its API only has SO_RCVBUF).
import { createRequire } from "node:module";
import { readSync } from "node:fs";
const require = createRequire(import.meta.url);
const { createRtNetlink } = require("netlink");

const rcvbuf = Number(process.argv[2] || 0), count = Number(process.argv[3] || 0);
const idleMs = Number(process.argv[4] || 1000), force = process.argv[5] === "force";
let errors = 0;
const sock = createRtNetlink({ ref: true });
sock.socket.on("error", () => { errors++; });
sock.socket.socket.on?.("error", () => { errors++; });
sock.addMembership("IPV4_ROUTE");
let eff;
if (force) {
  const { forceRcvbuf } = await import("./force-rcvbuf.mjs");
  eff = forceRcvbuf(sock.socket.socket.address().port, rcvbuf);
} else {
  if (rcvbuf) sock.socket.setRecvBufferSize(rcvbuf);
  eff = sock.socket.getRecvBufferSize();
}
let events = 0, t0 = 0n, tlast = 0n, idle;
const finish = () => {
  const secs = t0 ? Number(tlast - t0) / 1e9 : 0;
  console.log(JSON.stringify({ events, seconds: secs, eventsPerSec: secs > 0 ? events / secs : 0, errors, rcvbuf: eff }));
  sock.socket.close();
  process.exit(0);
};
sock.on("message", (msgs) => {
  if (!t0) t0 = process.hrtime.bigint();
  for (const m of msgs) if (m.kind === "route") events++;
  tlast = process.hrtime.bigint();
  clearTimeout(idle);
  if (count && events >= count) return finish();
  idle = setTimeout(finish, idleMs);
});
process.stdout.write(`ready ${eff}\n`);
const b = Buffer.alloc(64);
readSync(0, b, 0, 64, null); // blocks: the socket is not read meanwhile
// the first 'message' callback marks t0; if nothing ever comes, finish after idle
idle = setTimeout(finish, idleMs);
