// Port -> proxy sync, what needs no kernel: the options portSync / linkPollMs
// and a port backend's linkOf are checked at construction, MACs are parsed
// strictly (unicast, not all zero), and setCarrier / setPortLink refuse bad
// arguments and unknown ids before anything is written.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ifpx } from "../../host/ifpx.ts";
import { parseUnicastMac } from "../../host/proxies/port-sync.ts";

const code = (fn: () => unknown): string | undefined => { try { fn(); } catch (e) { return (e as { code?: string }).code; } return undefined; };
const backend = { kind: "fake", createProxy: () => ({ id: 1, ifindex: 1, name: "x" }), createProxyByDevarg: () => ({ id: 1, ifindex: 1, name: "x" }), destroyProxy: () => {}, isValidPort: () => true };

test("options: portSync boolean, linkPollMs whole ms >= 0, ports.linkOf / setProxyMac functions", async () => {
  for (const bad of [{ portSync: 1 }, { portSync: "no" }, { linkPollMs: -1 }, { linkPollMs: 1.5 }, { linkPollMs: "200" },
    { ports: { ...backend, linkOf: 3 } }, { ports: { ...backend, setProxyMac: {} } }]) {
    assert.is(code(() => new Ifpx(bad as any)), "EINVAL", JSON.stringify(bad));
  }
  for (const good of [{ portSync: false }, { linkPollMs: 0 }, { linkPollMs: 250 }, { ports: { ...backend, linkOf: () => ({ mac: "", mtu: 0, up: false }) } }]) {
    const x = new Ifpx(good as any);
    await x.dispose();
  }
});

test("parseUnicastMac: six hex pairs, unicast, not all zero", () => {
  assert.equal([...parseUnicastMac("02:5E:00:00:17:01")!], [2, 0x5e, 0, 0, 0x17, 1]);
  for (const bad of ["01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00", "02:00:00:00:00", "02:00:00:00:00:00:00", "02-00-00-00-00-01", "", 2, null, undefined]) {
    assert.is(parseUnicastMac(bad), undefined, String(bad));
  }
});

test("setCarrier / setPortLink: bad ids and arguments are EINVAL, an id that is no proxy nor bound port ENOENT", async () => {
  const x = new Ifpx();
  assert.is(code(() => x.setCarrier(-1, true)), "EINVAL");
  assert.is(code(() => x.setCarrier(0x10000, true)), "EINVAL");
  assert.is(code(() => x.setCarrier(1.5, true)), "EINVAL");
  assert.is(code(() => x.setCarrier(7, true)), "ENOENT");
  assert.is(code(() => x.setPortLink(7, { mtu: 1500 })), "ENOENT");
  await x.dispose();
  assert.is(code(() => x.setCarrier(7, true)), "ECLOSED");
  assert.is(code(() => x.setPortLink(7, {})), "ECLOSED");
});

test.run();
