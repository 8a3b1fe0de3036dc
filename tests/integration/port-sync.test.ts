// Port -> proxy sync (README "Port -> proxy sync"), plain mode, on a real
// kernel: setCarrier / setPortLink change the proxy's carrier, MAC and MTU,
// never its admin state; Linux then answers ARP with the port's MAC; the
// kernel's refusals (veth has no carrier control, a tap nobody holds cannot
// have carrier, no CAP_NET_ADMIN) arrive as typed errors.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fileURLToPath } from "node:url";
import koffi from "koffi";
import { Ifpx, IfpxError, type IfpxEvent } from "../../host/index.js";
import { createTap } from "../../host/tap.js";
import * as libc from "../../host/libc.js";
import { withNetns, type Netns } from "./helpers/netns.js";
import { Collector, sleep } from "./helpers/collector.js";

type Link = Extract<IfpxEvent, { type: "LINK_CHANGE" }>;

async function session(fn: (ns: Netns, ifpx: Ifpx, c: Collector) => Promise<void>) {
  await withNetns(async (ns) => {
    const ifpx = new Ifpx({ netns: ns.name, onError: (e) => { throw e; } });
    const c = new Collector();
    try { await fn(ns, ifpx, c); } finally { await ifpx.dispose(); }
  });
}

function link(ns: Netns, dev: string): { flags: string[]; operstate: string; address: string; mtu: number } {
  return JSON.parse(ns.ip("-j", "link", "show", "dev", dev))[0];
}

function code(fn: () => void): { code: string; message: string } {
  try { fn(); } catch (e) { assert.instance(e, IfpxError); return { code: (e as IfpxError).code, message: (e as Error).message }; }
  throw new Error("expected a typed error");
}

test("setCarrier: the carrier follows (flags, operstate, LINK_CHANGE), the admin state is untouched", () => session(async (ns, ifpx, c) => {
  const p = ifpx.createProxy({ name: "psa0" });
  ifpx.bind(3, p);
  ns.ip("link", "set", "psa0", "up");
  c.attach(ifpx);
  await ifpx.listen();
  const from = c.events.length;
  ifpx.setCarrier(3, false);
  let l = link(ns, "psa0");
  assert.ok(l.flags.includes("NO-CARRIER") && !l.flags.includes("LOWER_UP"), l.flags.join(","));
  assert.ok(l.flags.includes("UP"), "still administratively up");
  assert.is(l.operstate, "DOWN");
  const [off] = await c.waitFor([{ type: "LINK_CHANGE", portId: 3, carrier: false }], 3000, from) as Link[];
  assert.is(off.isUp, true);
  ifpx.setCarrier(p, true);
  l = link(ns, "psa0");
  assert.ok(l.flags.includes("LOWER_UP") && l.flags.includes("UP"), l.flags.join(","));
  assert.is(l.operstate, "UP");
  const [on] = await c.waitFor([{ type: "LINK_CHANGE", portId: 3, carrier: true }], 3000, c.events.indexOf(off) + 1) as Link[];
  assert.is(on.isUp, true);
  // idempotent: the same carrier again changes nothing and reports nothing
  const n = c.events.length;
  ifpx.setCarrier(3, true);
  await sleep(100);
  assert.is(c.events.slice(n).filter((e) => e.type === "LINK_CHANGE").length, 0);
}));

test("an operator's `ip link set down` survives setCarrier(true)", () => session(async (ns, ifpx, c) => {
  const p = ifpx.createProxy({ name: "psb0" });
  ifpx.bind(4, p);
  ns.ip("link", "set", "psb0", "up");
  c.attach(ifpx);
  await ifpx.listen();
  ns.ip("link", "set", "dev", "psb0", "down");
  const [down] = await c.waitFor([{ type: "LINK_CHANGE", portId: 4, isUp: false }], 3000);
  const after = c.events.indexOf(down) + 1;
  ifpx.setCarrier(4, false);
  ifpx.setCarrier(4, true);
  ifpx.setPortLink(4, { carrier: true, mtu: 1450 });
  const l = link(ns, "psb0");
  assert.not.ok(l.flags.includes("UP"), `still down: ${l.flags.join(",")}`);
  assert.is(l.operstate, "DOWN");
  await c.waitFor([{ type: "MTU_CHANGE", portId: 4, mtu: 1450 }], 3000, after);
  assert.not.ok(c.events.slice(after).some((e) => e.type === "LINK_CHANGE" && (e as Link).isUp), "no LINK_CHANGE says up");
  assert.not.ok(ifpx.info(p).up);
  // and the carrier is there once the operator brings it up
  ns.ip("link", "set", "dev", "psb0", "up");
  assert.ok(link(ns, "psb0").flags.includes("LOWER_UP"));
}));

// ARP on the wire of a tap: write a request into its fd, read Linux's reply.
const kl = koffi.load("libc.so.6");
const write = kl.func("long write(int fd, void *buf, unsigned long n)");
const read = kl.func("long read(int fd, _Out_ void *buf, unsigned long n)");
const fcntl = kl.func("int fcntl(int fd, int cmd, int arg)");
const F_SETFL = 4, O_NONBLOCK = 0o4000;

function arpRequest(srcMac: number[], srcIp: number[], targetIp: number[]): Uint8Array {
  return Uint8Array.from([
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...srcMac, 0x08, 0x06, // Ethernet: broadcast, ARP
    0, 1, 0x08, 0x00, 6, 4, 0, 1, // Ethernet/IPv4, request
    ...srcMac, ...srcIp, 0, 0, 0, 0, 0, 0, ...targetIp,
  ]);
}

test("ARP replies from Linux carry the port's MAC (Ethernet source and ARP sender) after setPortLink", () => session(async (ns, ifpx, c) => {
  // a tap this test holds (it has a queue, so carrier works through netlink), adopted
  const tap = createTap("psc0", ns.name);
  try {
    const p = ifpx.adoptProxy("psc0");
    ifpx.bind(5, p);
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "psc0");
    ns.ip("link", "set", "psc0", "up");
    c.attach(ifpx);
    await ifpx.listen();
    const portMac = "02:5e:00:00:17:01";
    ifpx.setPortLink(5, { mac: portMac, mtu: 1400, carrier: true });
    assert.is(link(ns, "psc0").address, portMac);
    assert.is(link(ns, "psc0").mtu, 1400);
    await c.waitFor([{ type: "MAC_CHANGE", portId: 5, mac: portMac }, { type: "MTU_CHANGE", portId: 5, mtu: 1400 }], 3000);
    assert.is(ifpx.info(5).mac, portMac);

    fcntl(tap.fd, F_SETFL, O_NONBLOCK);
    const peer = [0x02, 0x99, 0, 0, 0, 2];
    const req = arpRequest(peer, [192, 0, 2, 2], [192, 0, 2, 1]);
    assert.is(Number(write(tap.fd, req, req.length)), req.length);
    const want = portMac.split(":").map((h) => parseInt(h, 16));
    const buf = new Uint8Array(2048);
    const deadline = Date.now() + 3000;
    let reply: Uint8Array | undefined;
    while (!reply && Date.now() < deadline) {
      const n = Number(read(tap.fd, buf, buf.length));
      if (n < 0) { await sleep(10); continue; }
      // an ARP reply (opcode 2) for the peer; Linux also sends IPv6 and other frames
      if (n >= 42 && buf[12] === 0x08 && buf[13] === 0x06 && buf[21] === 2) reply = buf.slice(0, n);
    }
    assert.ok(reply, "Linux answered the ARP request");
    assert.equal([...reply!.subarray(0, 6)], peer, "to the peer");
    assert.equal([...reply!.subarray(6, 12)], want, "Ethernet source is the port's MAC");
    assert.equal([...reply!.subarray(22, 28)], want, "ARP sender hardware address is the port's MAC");
    assert.equal([...reply!.subarray(28, 32)], [192, 0, 2, 1]);
  } finally {
    libc.close(tap.fd);
  }
}));

test("setPortLink copies MTU and MAC; bad input and unbound ports are typed errors", () => session(async (ns, ifpx, c) => {
  const p = ifpx.createProxy({ name: "psd0" });
  ifpx.bind(6, p);
  c.attach(ifpx);
  await ifpx.listen();
  ifpx.setPortLink(6, { mtu: 9000 });
  assert.is(link(ns, "psd0").mtu, 9000);
  await c.waitFor([{ type: "MTU_CHANGE", portId: 6, mtu: 9000 }], 3000);
  const before = link(ns, "psd0");
  for (const bad of [{ mac: "01:00:5e:00:00:01" }, { mac: "00:00:00:00:00:00" }, { mac: "02:00:00:00:00" }, { mac: 7 },
    { mtu: 67 }, { mtu: 65536 }, { mtu: 1500.5 }, { carrier: "on" }]) {
    assert.is(code(() => ifpx.setPortLink(6, bad as any)).code, "EINVAL", JSON.stringify(bad));
  }
  // a bad field among good ones: nothing is written
  assert.is(code(() => ifpx.setPortLink(6, { mac: "02:00:00:00:00:01", mtu: 10 })).code, "EINVAL");
  assert.equal(link(ns, "psd0"), before, "nothing changed");
  assert.is(code(() => ifpx.setPortLink(6, null as any)).code, "EINVAL");
  assert.is(code(() => ifpx.setCarrier(6, 1 as any)).code, "EINVAL");
  assert.is(code(() => ifpx.setCarrier(-1, true)).code, "EINVAL");
  const unbound = code(() => ifpx.setCarrier(7, true));
  assert.is(unbound.code, "ENOENT");
  assert.match(unbound.message, /not a proxy nor a port bound|neither a proxy nor a port bound/);
  assert.is(code(() => ifpx.setPortLink(7, { mtu: 1500 })).code, "ENOENT");
  ifpx.unbind(6);
  assert.is(code(() => ifpx.setPortLink(6, { mtu: 1500 })).code, "ENOENT", "unbound again");
}));

test("adopted veth: carrier is EOPNOTSUPP (MAC and MTU work); adopted tap nobody holds: carrier off works, on is EPERM with the reason", () => session(async (ns, ifpx) => {
  ns.ip("link", "add", "pse0", "type", "veth", "peer", "name", "pse1");
  ns.ip("tuntap", "add", "psf0", "mode", "tap");
  const v = ifpx.adoptProxy("pse0");
  const t = ifpx.adoptProxy("psf0");
  ifpx.bind(8, v);
  ifpx.bind(9, t);
  const e = code(() => ifpx.setCarrier(8, false));
  assert.is(e.code, "EOPNOTSUPP");
  assert.match(e.message, /pse0.*carrier/);
  ifpx.setPortLink(8, { mac: "02:5e:00:00:17:08", mtu: 1300 });
  assert.is(link(ns, "pse0").address, "02:5e:00:00:17:08");
  assert.is(link(ns, "pse0").mtu, 1300);
  ns.ip("link", "set", "psf0", "up");
  ifpx.setCarrier(9, false);
  assert.ok(link(ns, "psf0").flags.includes("NO-CARRIER"));
  const on = code(() => ifpx.setCarrier(9, true));
  assert.is(on.code, "EPERM");
  assert.match(on.message, /no process holds open/);
  // the error changed nothing: the instance goes on
  assert.ok(ifpx.isProxy(t));
  ifpx.setPortLink(9, { mtu: 1280 });
  assert.is(link(ns, "psf0").mtu, 1280);
}));

test("without CAP_NET_ADMIN: setPortLink and setCarrier throw EPERM", () => withNetns((ns) => {
  ns.ip("link", "add", "psg0", "type", "veth", "peer", "name", "psg1");
  // a child as nobody inside the namespace (ip netns exec, then setpriv drops the rights)
  const dist = fileURLToPath(new URL("../../dist/ifpx.js", import.meta.url));
  const script = `import { Ifpx } from ${JSON.stringify(dist)};
    const x = new Ifpx(); const p = x.adoptProxy("psg0"); x.bind(1, p);
    const out = {};
    for (const [k, f] of [["mtu", () => x.setPortLink(1, { mtu: 1400 })], ["mac", () => x.setPortLink(p, { mac: "02:00:00:00:00:09" })], ["carrier", () => x.setCarrier(1, false)]]) {
      try { f(); out[k] = "ok"; } catch (e) { out[k] = e.code; }
    }
    console.log(JSON.stringify(out));`;
  const r = ns.exec("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
    process.execPath, "--input-type=module", "-e", script);
  assert.equal(JSON.parse(r.trim().split("\n").pop()!), { mtu: "EPERM", mac: "EPERM", carrier: "EPERM" });
  assert.is.not(link(ns, "psg0").mtu, 1400);
}));

test.run();
