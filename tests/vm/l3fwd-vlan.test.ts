// examples/l3fwd forwarding a VLAN through the data plane (runs inside the test
// VM, tests/vm/README.md: this machine's kernel has no 802.1Q). The bed of
// tests/integration/l3fwd.test.ts with two hosts; then VLAN 100 on dp0
// (`ip link add link dp0 name dp0.100 type vlan id 100`, 10.0.100.1/24) and on
// h1's link (eth0.100, 10.0.100.2/24, 10.0.2.0/24 via 10.0.100.1). ifpx
// reports dp0.100 as a sub-interface (SUBIF_ADD to port 0), l3fwd binds it to
// a logical port, and the data plane forwards between h1's VLAN and untagged
// h2: tags taken off on the way in, pushed on the way out, punts to dp0 tagged.
// The same for QinQ 200.300 (802.1ad outer): h1's eth0.200.300 reaches the
// remote prefix 203.0.113.0/24 behind h2. Deleting dp0.100 (SUBIF_DEL) ends VLAN 100.
// Not run (and says why) without root, DPDK, ping or ethtool.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { prepareL3fwd, linuxForwarded, ipBatch, type Stats } from "../../examples/l3fwd/driver.js";
import { l3fwdBed, ping, pingUntil, waitStats, type L3fwdBed } from "../integration/helpers/l3fwd.js";

const reason = prepareL3fwd();
if (reason) {
  console.log(`dpdk tests not run: ${reason}`);
} else {
  let bed: L3fwdBed;
  const N = 20;

  test.before(async () => {
    bed = await l3fwdBed(2).catch((e) => { console.error(`l3fwd bed: ${e?.stack ?? e}`); throw e; });
    await ipBatch(bed.router.name, ["link add link dp0 name dp0.100 type vlan id 100", "addr add 10.0.100.1/24 dev dp0.100", "link set dp0.100 up"]);
    await ipBatch(bed.hosts[0].name, ["link add link eth0 name eth0.100 type vlan id 100", "addr add 10.0.100.2/24 dev eth0.100",
      "link set eth0.100 up", "route add 10.0.2.0/24 via 10.0.100.1 dev eth0.100"]);
  });
  test.after(async () => { await bed?.remove(); });

  test("dp0.100 becomes a sub-port of port 0 (VLAN 100, 802.1Q) with its own logical port id", async () => {
    const s = await waitStats(bed.dp, "sub-port bound", (x) => x.subports.length === 1 && x.subports[0].port >= 0 && x.subports[0].up && x.subports[0].mac !== "");
    const sp = s.subports[0];
    assert.is(sp.on, bed.ports[0]);
    assert.equal(sp.tags, [{ tpid: 0x8100, vid: 100 }]);
    assert.is(sp.port, 0x100 + (sp.proxy & 0xfff), "the id l3fwd.ts bound it to");
    assert.is(sp.mac, s.ports[0].mac, "a VLAN device has its lower device's MAC");
  });

  test(`h1 on VLAN 100 <-> untagged h2: ${N} pings forwarded by the data plane (tag off in, on out), not by Linux`, async () => {
    const first = await pingUntil(bed.hosts[0], "10.0.2.2", 15000);
    assert.ok(first.ok, `h1 (VLAN 100) -> h2: ${first.out}`);
    const back = await pingUntil(bed.hosts[1], "10.0.100.2", 15000);
    assert.ok(back.ok, `h2 -> h1 (VLAN 100): ${back.out}`);
    const linux0 = linuxForwarded(bed.router.name);
    const s0 = await bed.dp.stats();
    const r = ping(bed.hosts[0], "10.0.2.2", "-c", String(N), "-i", "0.01", "-q", "-W", "1");
    assert.ok(r.ok && new RegExp(`${N} packets transmitted, ${N} received`).test(r.out), r.out);
    const s1 = await bed.dp.stats();
    const linux1 = linuxForwarded(bed.router.name);
    const d = (f: (x: typeof s0) => number) => f(s1) - f(s0);
    assert.ok(d((x) => x.fwd4) >= 2 * N, `fast path IPv4: ${d((x) => x.fwd4)} < ${2 * N}`);
    assert.ok(d((x) => x.subports[0].rx) >= N && d((x) => x.subports[0].forwarded) >= N, `requests in on the sub-port: ${JSON.stringify(s1.subports[0])}`);
    assert.ok(d((x) => x.subports[0].tx) >= N, `replies out tagged through the sub-port: ${d((x) => x.subports[0].tx)}`);
    assert.ok(d((x) => x.ports[1].forwarded) >= N, "replies in untagged on port 1");
    assert.ok(linux1.v4 - linux0.v4 <= 2, `Linux ForwDatagrams rose by ${linux1.v4 - linux0.v4}`);
  });

  test("QinQ 200.300 (802.1ad outer, 802.1Q inner): both tags off in, both pushed out", async () => {
    await ipBatch(bed.router.name, ["link add link dp0 name dp0.200 type vlan proto 802.1ad id 200", "link add link dp0.200 name dp0.200.300 type vlan id 300",
      "link set dp0.200 up", "link set dp0.200.300 up", "addr add 10.0.230.1/24 dev dp0.200.300", "route add 203.0.113.0/24 via 10.0.2.2"]);
    await ipBatch(bed.hosts[0].name, ["link add link eth0 name eth0.200 type vlan proto 802.1ad id 200", "link add link eth0.200 name eth0.200.300 type vlan id 300",
      "link set eth0.200 up", "link set eth0.200.300 up", "addr add 10.0.230.2/24 dev eth0.200.300", "route add 203.0.113.0/24 via 10.0.230.1 dev eth0.200.300"]);
    const qinq = (x: Stats) => x.subports.find((p) => p.tags.length === 2);
    const s = await waitStats(bed.dp, "QinQ sub-port bound", (x) => x.subports.length === 3 && !!qinq(x)?.up && qinq(x)!.port >= 0, 15000);
    assert.equal(qinq(s)!.tags, [{ tpid: 0x88a8, vid: 200 }, { tpid: 0x8100, vid: 300 }]);
    const first = await pingUntil(bed.hosts[0], "203.0.113.1", 15000);
    assert.ok(first.ok, `h1 (QinQ 200.300) -> 203.0.113.1 (h2): ${first.out}`);
    const linux0 = linuxForwarded(bed.router.name);
    const s0 = await bed.dp.stats();
    const r = ping(bed.hosts[0], "203.0.113.1", "-c", String(N), "-i", "0.01", "-q", "-W", "1");
    assert.ok(r.ok && new RegExp(`${N} packets transmitted, ${N} received`).test(r.out), r.out);
    const s1 = await bed.dp.stats();
    assert.ok(qinq(s1)!.forwarded - qinq(s0)!.forwarded >= N, `requests in on the QinQ sub-port: ${JSON.stringify(qinq(s1))}`);
    assert.ok(qinq(s1)!.tx - qinq(s0)!.tx >= N, `replies out double-tagged: ${qinq(s1)!.tx - qinq(s0)!.tx}`);
    assert.ok(linuxForwarded(bed.router.name).v4 - linux0.v4 <= 2, "Linux forwarded nothing");
  });

  test("ip link del dp0.100: SUBIF_DEL removes the sub-port, nothing is forwarded to or from VLAN 100 any more", async () => {
    await ipBatch(bed.router.name, ["link del dp0.100"]);
    const s0 = await waitStats(bed.dp, "sub-port gone", (x) => !x.subports.some((p) => p.tags[0].vid === 100) && (x.by_type as Record<string, number>).SUBIF_DEL >= 1, 15000);
    const r = ping(bed.hosts[0], "10.0.2.2", "-c", "3", "-i", "0.2", "-W", "1");
    assert.not.ok(r.ok, `h1 (VLAN 100) still reaches h2: ${r.out}`);
    const s1 = await bed.dp.stats();
    assert.is(s1.fwd4 - s0.fwd4, 0, "nothing forwarded");
    assert.ok(!(await bed.dp.tables()).routes.some((x) => x.dst === "10.0.100.0/24"), "the VLAN's route is gone from the data plane");
  });

  test.run();
}
