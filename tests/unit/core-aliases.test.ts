// IPv4 routes sharing an identity (the kernel's fib aliases: `ip route append`
// / `prepend`): a REPLACE hits only the first of them and its message does not
// say which, so the core applies what the message shows and asks the host for
// a route dump (status bit 64, stats "unsettled"); ordinary routes keep the
// exact REPLACE handling. Messages are built with the nlmsg_flags this kernel
// sends (checked on 6.x with a raw netlink listener): EXCL|CREATE (0x600) for a
// new identity, CREATE|APPEND (0xc00) for an append, REPLACE (0x100), and
// MULTI (0x2) in dumps. t0 is proxy 100 bound to port 1.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Core, T0, route4 } from "./helpers/core.ts";

const NEW = 24, DEL = 25, FRESH = 0x600, APPEND = 0xc00, REPLACE = 0x100, MULTI = 0x2, ST_ROUTES = 64;
const GW = (i: number) => 0xc6336400 + i; // 198.51.100.i
const NET = (i: number) => 0x0a000000 + (i << 16); // 10.i.0.0

function setup(): Core {
  const c = new Core();
  assert.is(c.x.proxy_add(100, T0), 0);
  assert.is(c.x.port_bind(1, 100), 0);
  return c;
}
const brief = (recs: any[]) => recs.map((r) => `${r.type} ${r.dst}/${r.depth} ${r.gw}`);
/** route next hops of proxy 100 in the mirror */
const routes = (c: Core) => {
  assert.is(c.x.query_begin(100, 4), 0);
  let n = 0;
  for (let k; (k = c.x.query_step());) n += k;
  return n;
};

test("one route per identity: REPLACE swaps its next hop, no dump asked", () => {
  const c = setup();
  c.feed(route4(NET(2), 16, GW(1), T0, NEW, FRESH));
  const recs = c.feed(route4(NET(2), 16, GW(2), T0, NEW, REPLACE));
  assert.equal(brief(recs), ["ROUTE_DEL 10.2.0.0/16 198.51.100.1", "ROUTE_ADD 10.2.0.0/16 198.51.100.2"]);
  assert.is(c.status().flags & ST_ROUTES, 0);
  assert.is(c.stats().unsettled, 0);
});

test("an appended route: a later REPLACE keeps both next hops and asks for a route dump", () => {
  const c = setup();
  c.feed(route4(NET(1), 16, GW(1), T0, NEW, FRESH));
  assert.equal(brief(c.feed(route4(NET(1), 16, GW(2), T0, NEW, APPEND))), ["ROUTE_ADD 10.1.0.0/16 198.51.100.2"]);
  assert.is(c.status().flags & ST_ROUTES, 0);
  // the kernel replaced the FIRST route (via .1) with via .3; the message says only "via .3"
  const recs = c.feed(route4(NET(1), 16, GW(3), T0, NEW, REPLACE));
  assert.equal(brief(recs), ["ROUTE_ADD 10.1.0.0/16 198.51.100.3"]);
  assert.is(c.status().flags & ST_ROUTES, ST_ROUTES);
  assert.is(c.stats().unsettled, 1);
  assert.is(routes(c), 3); // .1 stays until the dump shows it gone
  // the dump: via .3 then via .2 (kernel order); the sweep removes via .1
  c.x.sync_begin(4, 8);
  assert.equal(brief(c.feed(route4(NET(1), 16, GW(3), T0, NEW, MULTI))), []);
  assert.equal(brief(c.feed(route4(NET(1), 16, GW(2), T0, NEW, MULTI))), []);
  assert.equal(brief(c.sweep()), ["ROUTE_DEL 10.1.0.0/16 198.51.100.1"]);
  assert.is(routes(c), 2);
  // a delete among them asks again (it may have shared a next hop with another route)
  c.feed(route4(NET(1), 16, GW(2), T0, DEL, 0));
  assert.is(c.status().flags & ST_ROUTES, ST_ROUTES);
});

test("a dump shows aliases as consecutive routes of one identity; the next dump clears the mark", () => {
  const c = setup();
  c.x.sync_begin(4, 1);
  c.feed(route4(NET(3), 16, GW(1), T0, NEW, MULTI));
  c.feed(route4(NET(3), 16, GW(2), T0, NEW, MULTI));
  c.feed(route4(NET(4), 16, GW(1), T0, NEW, MULTI));
  c.sweep();
  c.feed(route4(NET(3), 16, GW(5), T0, NEW, REPLACE));
  assert.is(c.status().flags & ST_ROUTES, ST_ROUTES, "10.3/16 has two routes");
  c.feed(route4(NET(4), 16, GW(5), T0, NEW, REPLACE));
  assert.is(c.status().flags & ST_ROUTES, 0, "10.4/16 has one");
  // the kernel now has 10.3/16 via .5 only (say the appended one was deleted meanwhile)
  c.x.sync_begin(4, 8);
  c.feed(route4(NET(3), 16, GW(5), T0, NEW, MULTI));
  c.feed(route4(NET(4), 16, GW(5), T0, NEW, MULTI));
  c.sweep();
  assert.equal(brief(c.feed(route4(NET(3), 16, GW(6), T0, NEW, REPLACE))), ["ROUTE_DEL 10.3.0.0/16 198.51.100.5", "ROUTE_ADD 10.3.0.0/16 198.51.100.6"]);
  assert.is(c.status().flags & ST_ROUTES, 0);
});

test.run();
