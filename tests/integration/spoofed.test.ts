// Any local process can send a datagram to the listener's netlink port id.
// Only the kernel (nl_pid 0) may change ifpx's view: a forged RTM_NEWADDR from
// a user-space socket must be dropped and counted, never turned into an event.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx } from "../../host/index.js";
import { NetlinkSocket } from "../../host/netlink/socket.js";
import * as libc from "../../host/libc.js";
import { withNetns } from "./helpers/netns.js";
import { Collector, sleep } from "./helpers/collector.js";

function forgedNewAddr(ifindex: number): Uint8Array {
  // nlmsghdr + ifaddrmsg + IFA_LOCAL + IFA_ADDRESS (198.51.100.99/24)
  const b = new Uint8Array(16 + 8 + 8 + 8);
  const v = new DataView(b.buffer);
  v.setUint32(0, b.length, true); v.setUint16(4, 20 /* RTM_NEWADDR */, true);
  b[16] = 2; b[17] = 24; v.setUint32(20, ifindex, true);
  for (const [off, type] of [[24, 2], [32, 1]]) {
    v.setUint16(off, 8, true); v.setUint16(off + 2, type, true);
    b.set([198, 51, 100, 99], off + 4);
  }
  return b;
}

test("datagrams not sent by the kernel are dropped and counted", () => withNetns(async (ns) => {
  const ifpx = new Ifpx({ netns: ns.name });
  const forger = new NetlinkSocket({ netns: ns.name });
  try {
    const p = ifpx.createProxy({ name: "prx0" });
    ifpx.bind(1, p);
    const c = new Collector();
    c.attach(ifpx);
    await ifpx.listen();
    const to = new Uint8Array(12);
    const dv = new DataView(to.buffer);
    dv.setUint16(0, libc.AF_NETLINK, true);
    dv.setUint32(4, ifpx.netlinkPortId, true);
    assert.ok(ifpx.netlinkPortId !== 0);
    const msg = forgedNewAddr(ifpx.info(p).ifindex);
    const sent = Number(libc.sendto(forger.fd, msg, msg.length, 0, to, 12));
    assert.is(sent, msg.length, "the forged datagram was delivered to the listener's socket");
    await sleep(200);
    assert.is(ifpx.stats().spoofed, 1);
    assert.not.ok(c.find({ type: "ADDR_ADD" }), "no event from a forged message");
    assert.is(ifpx.mirrorCount("addr", p), 0);
    // the listener still works
    ns.ip("addr", "add", "198.51.100.14/24", "dev", "prx0");
    await c.waitFor([{ type: "ADDR_ADD", ip: "198.51.100.14" }]);
  } finally {
    forger.close();
    await ifpx.dispose();
  }
}));

test.run();
