// Runs one API call in a process with fewer rights than root (tests/integration/
// unprivileged.test.ts starts it as nobody, or without /dev/net/tun) and prints
// how it ended as one JSON line: {sync?: error} when it threw synchronously
// from an async API, {rejected: code} / {resolved: true} / {threw: code}.
import { Ifpx } from "../../../dist/ifpx.js";

const [what, netns] = process.argv.slice(2);
const out = (o) => { console.log(JSON.stringify(o)); };
process.on("unhandledRejection", (e) => { out({ unhandled: String(e) }); process.exit(3); });

async function settle(fn) {
  let p;
  try { p = fn(); } catch (e) { return { sync: String(e), code: e?.code }; }
  try { await p; return { resolved: true }; } catch (e) { return { rejected: e?.code, message: e?.message }; }
}

const ifpx = new Ifpx(netns ? { netns } : {});
if (what === "listen") {
  const r = await settle(() => ifpx.listen());
  if (r.resolved) await ifpx.close();
  out(r);
} else if (what === "createProxy") {
  try { ifpx.createProxy({ name: "lim0" }); out({ created: true }); } catch (e) { out({ threw: e?.code, message: e?.message }); }
}
await ifpx.dispose();
