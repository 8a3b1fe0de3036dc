// l3fwd-ifpx (examples/l3fwd) forwarding real packets between host
// namespaces, its tables fed only by ifpx events on an rte_ring. One bed for
// the whole file: a router namespace running the data plane (proxies
// dp0..dp2 on af_packet links v0..v2) and three hosts h1..h3 (10.0.<i>.2,
// 2001:db8:<i>::2; h2 and h3 both own 203.0.113.1 and 2001:db8:ff::1, the
// "remote prefix"). The data plane runs with a 1024-event ring and a 64 KiB
// netlink buffer so that the last test can overrun both on purpose.
// Not run (and says why) without root, DPDK, ping or ethtool.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { prepareL3fwd, linuxForwarded, ipBatch, type Stats } from "../../examples/l3fwd/driver.js";
import { l3fwdBed, ping, pingUntil, rxPackets, waitStats as waitDpStats, waitTablesEqual, type L3fwdBed } from "./helpers/l3fwd.js";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { ChildOutput } from "../../examples/dpdk-primary/driver.js";
import type { Netns } from "./helpers/netns.js";

/** A Node TCP server in a namespace: "echo" sends back what it reads; "count" answers the byte count at the end. */
async function tcpServer(ns: Netns, mode: "echo" | "count", port: number): Promise<ChildProcess> {
  const code = `const net = require("net");
    net.createServer({ allowHalfOpen: true }, (c) => {
      if (${JSON.stringify(mode)} === "echo") return c.pipe(c);
      let n = 0; c.on("data", (d) => { n += d.length; }); c.on("end", () => c.end(String(n)));
    }).listen(${port}, "::", () => console.log("listening"));`;
  const p = spawn("ip", ["netns", "exec", ns.name, process.execPath, "-e", code], { stdio: ["ignore", "pipe", "pipe"] });
  await new ChildOutput(p).waitFor(/listening/, 10000, `TCP server in ${ns.name}`);
  return p;
}

/** Sends `bytes` to host:port from a namespace, half-closes, returns what came back (echo: its length; count: the number). */
function tcpClient(ns: Netns, host: string, port: number, bytes: number): number {
  const code = `const net = require("net");
    const c = net.connect({ host: ${JSON.stringify(host)}, port: ${port}, allowHalfOpen: true }, () => c.end(Buffer.alloc(${bytes}, 7)));
    const got = []; c.on("data", (d) => got.push(d));
    c.on("end", () => { const b = Buffer.concat(got); process.stdout.write(String(${port} === 1790 ? b.length : Number(b.toString()))); process.exit(0); });
    c.on("error", (e) => { console.log("error " + e.message); process.exit(1); });
    setTimeout(() => { console.log("timeout"); process.exit(1); }, 20000);`;
  const out = execFileSync("ip", ["netns", "exec", ns.name, process.execPath, "-e", code], { encoding: "utf8" }).trim();
  if (!/^\d+$/.test(out)) throw new Error(`TCP client in ${ns.name} to ${host}:${port}: ${out}`);
  return Number(out);
}

const reason = prepareL3fwd();
if (reason) {
  console.log(`dpdk tests not run: ${reason}`);
} else {
  let bed: L3fwdBed;
  const N = 200;
  const h = (i: number) => bed.hosts[i - 1];

  const waitStats = (what: string, ok: (s: Stats) => boolean, ms?: number) => waitDpStats(bed.dp, what, ok, ms);

  /** The data plane's routes and neighbours equal the kernel's on the proxies (retried while it converges). */
  const assertTablesEqual = (what: string, ms = 15000) => waitTablesEqual(bed, what, { ms });

  test.before(async () => {
    bed = await l3fwdBed(3, ["--ring-size", "1024", "--rcvbuf", "65536"]);
  });

  test.after(async () => {
    await bed?.remove();
  });

  test("IPv4 and IPv6 ping both ways between two hosts through the data plane, with no static neighbours", async () => {
    for (const [from, to, dst4, dst6] of [[1, 2, "10.0.2.2", "2001:db8:2::2"], [2, 1, "10.0.1.2", "2001:db8:1::2"]] as const) {
      for (const dst of [dst4, dst6]) {
        const r = await pingUntil(h(from), dst);
        assert.ok(r.ok, `h${from} -> ${dst} (h${to}): ${r.out}`);
      }
    }
    for (const ns of [bed.router, ...bed.hosts]) {
      assert.is(ns.ip("neigh", "show", "nud", "permanent").trim(), "", `${ns.name} has static IPv4 neighbours`);
      assert.is(ns.ip("-6", "neigh", "show", "nud", "permanent").trim(), "", `${ns.name} has static IPv6 neighbours`);
    }
    const t = await bed.dp.tables();
    assert.ok(t.neigh.some((n) => n.ip === "10.0.2.2" && n.port === bed.ports[1]), "the data plane learnt h2's IPv4 neighbour from Linux");
    assert.ok(t.neigh.some((n) => n.ip === "2001:db8:2::2" && n.port === bed.ports[1]), "the data plane learnt h2's IPv6 neighbour from Linux");
  });

  test(`after resolution, ${N} pings each way are forwarded by the fast path: its counter rises, Linux's forwarding counters do not`, async () => {
    const linux0 = linuxForwarded(bed.router.name);
    const s0 = await bed.dp.stats();
    for (const dst of ["10.0.2.2", "2001:db8:2::2"]) {
      const r = ping(h(1), dst, "-c", String(N), "-i", "0.002", "-q", "-W", "1");
      assert.ok(r.ok && new RegExp(`${N} packets transmitted, ${N} received`).test(r.out), r.out);
    }
    const s1 = await bed.dp.stats();
    const linux1 = linuxForwarded(bed.router.name);
    assert.ok(s1.fwd4 - s0.fwd4 >= 2 * N, `fast path IPv4: ${s1.fwd4 - s0.fwd4} < ${2 * N} (requests and replies)`);
    assert.ok(s1.fwd6 - s0.fwd6 >= 2 * N, `fast path IPv6: ${s1.fwd6 - s0.fwd6} < ${2 * N}`);
    assert.ok(linux1.v4 - linux0.v4 <= 2, `Linux ForwDatagrams rose by ${linux1.v4 - linux0.v4}`);
    assert.ok(linux1.v6 - linux0.v6 <= 2, `Linux Ip6OutForwDatagrams rose by ${linux1.v6 - linux0.v6}`);
  });

  test("ICMP echo to the router's own addresses is answered by Linux through the proxy (punted, not forwarded)", async () => {
    const s0 = await bed.dp.stats();
    for (const dst of ["10.0.1.1", "2001:db8:1::1", "10.0.2.1", "2001:db8:3::1"]) {
      const r = ping(h(1), dst, "-c", "2", "-i", "0.1", "-W", "1");
      assert.ok(r.ok, `h1 -> router ${dst}: ${r.out}`);
    }
    const s1 = await bed.dp.stats();
    assert.ok(s1.punt.local - s0.punt.local >= 8, `punted to the router: ${s1.punt.local - s0.punt.local}`);
    assert.ok(s1.ports[0].from_proxy - s0.ports[0].from_proxy >= 8, "the replies came out of dp0 through port 0");
    assert.is(s1.forwarded - s0.forwarded, 0, "nothing forwarded");
  });

  test("TCP to the router's own addresses goes through the punt path (as a BGP session will); TCP between hosts through the fast path", async () => {
    // an echo server in the router (Linux's own stack, reached through the proxy), a sink in h2
    const router = await tcpServer(bed.router, "echo", 1790);
    const sink = await tcpServer(h(2), "count", 5001);
    try {
      const s0 = await bed.dp.stats();
      for (const host of ["10.0.1.1", "2001:db8:1::1"]) {
        const n = tcpClient(h(1), host, 1790, 256 << 10);
        assert.is(n, 256 << 10, `echo through the router's ${host}`);
      }
      const s1 = await bed.dp.stats();
      assert.ok(s1.punt.local - s0.punt.local >= 100, `TCP segments to the router punted: ${s1.punt.local - s0.punt.local}`);
      assert.ok(s1.ports[0].from_proxy - s0.ports[0].from_proxy >= 100, "the router's segments came out of dp0");
      const n = tcpClient(h(1), "10.0.2.2", 5001, 4 << 20);
      assert.is(n, 4 << 20, "h2 counted every byte h1 sent");
      const s2 = await bed.dp.stats();
      assert.ok(s2.fwd4 - s1.fwd4 >= (4 << 20) / 1500, `segments forwarded by the fast path: ${s2.fwd4 - s1.fwd4}`);
    } finally {
      router.kill();
      sink.kill();
    }
  });

  test("ip route replace moves the fast path to the new next hop; ip route del stops it", async () => {
    const R = bed.router;
    R.ip("route", "add", "203.0.113.0/24", "via", "10.0.2.2");
    R.ip("-6", "route", "add", "2001:db8:ff::/64", "via", "2001:db8:2::2");
    const burst = async (expect: number, other: number, label: string) => {
      for (const dst of ["203.0.113.1", "2001:db8:ff::1"]) {
        const first = await pingUntil(h(1), dst);
        assert.ok(first.ok, `${label}: ${dst}: ${first.out}`);
        const a0 = rxPackets(h(expect)), b0 = rxPackets(h(other)), s0 = await bed.dp.stats();
        const r = ping(h(1), dst, "-c", "50", "-i", "0.002", "-q", "-W", "1");
        const a1 = rxPackets(h(expect)), b1 = rxPackets(h(other)), s1 = await bed.dp.stats();
        assert.ok(r.ok, `${label}: ${dst}: ${r.out}`);
        assert.ok(a1 - a0 >= 50, `${label}: h${expect} received ${a1 - a0} packets for ${dst}`);
        assert.ok(b1 - b0 < 5, `${label}: h${other} received ${b1 - b0} packets`);
        assert.ok(s1.forwarded - s0.forwarded >= 100, `${label}: fast path forwarded ${s1.forwarded - s0.forwarded}`);
      }
    };
    await burst(2, 3, "via h2");
    R.ip("route", "replace", "203.0.113.0/24", "via", "10.0.3.2");
    R.ip("-6", "route", "replace", "2001:db8:ff::/64", "via", "2001:db8:3::2");
    await waitStats("replace applied", () => true);
    await burst(3, 2, "replaced via h3");
    const t = await bed.dp.tables();
    const r4 = t.routes.find((x) => x.dst === "203.0.113.0/24");
    assert.equal(r4?.nh, [{ port: bed.ports[2], weight: 1, gw: "10.0.3.2" }]);
    assert.is(r4?.lpm, true);

    R.ip("route", "del", "203.0.113.0/24");
    R.ip("-6", "route", "del", "2001:db8:ff::/64");
    await bed.dp.settle();
    const s0 = await bed.dp.stats();
    for (const dst of ["203.0.113.1", "2001:db8:ff::1"]) {
      const r = ping(h(1), dst, "-c", "3", "-i", "0.1", "-W", "1");
      assert.not.ok(r.ok, `${dst} still answered after route del: ${r.out}`);
    }
    const s1 = await bed.dp.stats();
    assert.is(s1.forwarded - s0.forwarded, 0, "nothing forwarded for the deleted prefix");
    assert.ok(s1.punt.no_route - s0.punt.no_route >= 6, `punted for no route: ${s1.punt.no_route - s0.punt.no_route}`);
    assert.not.ok((await bed.dp.tables()).routes.some((x) => x.dst === "203.0.113.0/24" || x.dst === "2001:db8:ff::/64"));
  });

  test("link down on a proxy stops forwarding out of its port; link up restores it", async () => {
    const R = bed.router;
    R.ip("link", "set", "dp1", "down");
    await waitStats("port 1 down", (s) => !s.ports[1].up);
    const s0 = await bed.dp.stats(), rx0 = rxPackets(h(2));
    for (const dst of ["10.0.2.2", "2001:db8:2::2"]) {
      const r = ping(h(1), dst, "-c", "3", "-i", "0.1", "-W", "1");
      assert.not.ok(r.ok, `${dst} answered with dp1 down: ${r.out}`);
    }
    const s1 = await bed.dp.stats();
    assert.is(s1.ports[1].tx - s0.ports[1].tx, 0, "nothing left through port 1");
    assert.is(rxPackets(h(2)) - rx0, 0, "h2 received nothing");
    R.ip("link", "set", "dp1", "up");
    await waitStats("port 1 up", (s) => s.ports[1].up);
    for (const dst of ["10.0.2.2", "2001:db8:2::2"]) {
      const r = await pingUntil(h(1), dst, 8000);
      assert.ok(r.ok, `${dst} after link up: ${r.out}`);
    }
    const s2 = await bed.dp.stats();
    const r = ping(h(1), "10.0.2.2", "-c", "20", "-i", "0.005", "-q", "-W", "1");
    assert.ok(r.ok, r.out);
    assert.ok((await bed.dp.stats()).fwd4 - s2.fwd4 >= 40, "fast path again after link up");
  });

  test("an MTU below the packet size is enforced: punted, Linux sends frag-needed / packet-too-big or fragments", async () => {
    const R = bed.router;
    R.ip("link", "set", "dp1", "mtu", "1400");
    await waitStats("MTU 1400 on port 1", (s) => s.ports[1].mtu === 1400);
    const s0 = await bed.dp.stats();
    const df = ping(h(1), "10.0.2.2", "-c", "1", "-M", "do", "-s", "1450", "-W", "1");
    assert.not.ok(df.ok, df.out);
    assert.match(df.out, /mtu = 1400/, "Linux answered frag needed with the proxy's MTU");
    const frag = ping(h(1), "10.0.2.2", "-c", "2", "-i", "0.2", "-M", "dont", "-s", "1450", "-W", "1");
    assert.ok(frag.ok, `without DF Linux fragments: ${frag.out}`);
    const ptb = ping(h(1), "2001:db8:2::2", "-c", "1", "-s", "1450", "-W", "1");
    assert.match(ptb.out, /mtu=1400/i, `IPv6 packet too big: ${ptb.out}`);
    const s1 = await bed.dp.stats();
    assert.ok(s1.punt.mtu - s0.punt.mtu >= 4, `punted for MTU: ${s1.punt.mtu - s0.punt.mtu}`);
    // fitting packets still take the fast path
    const small = ping(h(1), "10.0.2.2", "-c", "10", "-i", "0.005", "-q", "-s", "1300", "-W", "1");
    assert.ok(small.ok, small.out);
    assert.ok((await bed.dp.stats()).fwd4 - s1.fwd4 >= 20);
    R.ip("link", "set", "dp1", "mtu", "1500");
    await waitStats("MTU 1500 on port 1", (s) => s.ports[1].mtu === 1500);
  });

  test("the tables equal the kernel's, after a forced netlink overrun (RESYNC_DONE) and a ring overflow (replay) too", async () => {
    const R = bed.router.name;
    const v4 = (i: number) => `198.18.${i >> 8}.${i & 255}/32`;
    const v6 = (i: number) => `2001:db8:77::${i.toString(16)}/128`;
    function* lines(verb: string) {
      for (let i = 0; i < 3000; i++) yield `route ${verb} ${v4(i)} via 10.0.2.2 dev dp1`;
      for (let i = 0; i < 1000; i++) yield `route ${verb} ${v6(i)} via 2001:db8:3::2 dev dp2`;
    }
    const before = await assertTablesEqual("before");

    // netlink overrun: ifpx stops reading, 4000 notifications overflow its 64 KiB buffer
    const s0 = await bed.dp.stats();
    await bed.dp.command("pause", "OK");
    await ipBatch(R, lines("add"));
    await bed.dp.command("resume", "OK");
    // The resync's differences may themselves overflow the 1024-record ring on a loaded machine:
    // then the data plane loses RESYNC_DONE with them, and converges by the replay it asks for.
    await waitStats("RESYNC_DONE (or a replay after a ring overflow)", (s) => s.ifpx.overruns > s0.ifpx.overruns &&
      s.ifpx.resyncs > s0.ifpx.resyncs && !s.ifpx.syncing &&
      (s.resyncs > s0.resyncs || (s.overflow_records > s0.overflow_records && s.replays_swept > s0.replays_swept)), 15000);
    const after = await assertTablesEqual("after the overrun's resync");
    assert.is(after, before + 4000);

    // ring overflow: the lcore stops dequeuing; 4000 deletions do not fit the 1024-event ring
    const s1 = await bed.dp.stats();
    await bed.dp.command("hold on", "OK");
    await ipBatch(R, lines("del"));
    await waitStats("ring overflow", (s) => s.ring.lost > s1.ring.lost, 10000);
    await bed.dp.command("hold off", "OK");
    const s2 = await waitStats("OVERFLOW and REPLAY_DONE", (s) => s.overflow_records > s1.overflow_records && s.replays_swept > s1.replays_swept, 15000);
    assert.ok(s2.ring.replays > s1.ring.replays);
    assert.is(await assertTablesEqual("after the ring overflow's replay"), before);
    // and the fast path still works with the rebuilt tables
    const s3 = await bed.dp.stats();
    const r = ping(h(1), "10.0.2.2", "-c", "20", "-i", "0.005", "-q", "-W", "1");
    assert.ok(r.ok, r.out);
    assert.ok((await bed.dp.stats()).fwd4 - s3.fwd4 >= 40);
  });

  test.run();
}
