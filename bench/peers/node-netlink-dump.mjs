// Baseline: dump the routes of one family with npm `netlink` (node-netlink 0.3.0),
// the way its README shows: createRtNetlink().getRoutes(). Run under `ip netns exec`.
// usage: node node-netlink-dump.mjs 4|6
// prints {"routes","seconds"} (seconds: from the request to the parsed array)
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { createRtNetlink } = require("netlink");

const family = process.argv[2] === "6" ? 10 : 2;
const sock = createRtNetlink();
const t0 = process.hrtime.bigint();
const routes = await sock.getRoutes({ family });
const t1 = process.hrtime.bigint();
let unicastViaOif = 0;
for (const r of routes) if (r.attrs && r.attrs.oif !== undefined) unicastViaOif++;
sock.socket.close();
console.log(JSON.stringify({ routes: routes.length, withOif: unicastViaOif, seconds: Number(t1 - t0) / 1e9 }));
