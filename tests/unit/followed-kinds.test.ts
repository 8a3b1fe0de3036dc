// What a listener does with a kernel that refuses part of rtnetlink
// (host/followed-kinds.ts): which errnos are refusals, reported once, the kind
// left out of dumps and groups; the option kinds.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { FollowedKinds, parseKinds, isRefusal, isUnreadable } from "../../host/followed-kinds.js";
import { Kind } from "../../host/core/layout.js";
const { LINK: KIND_LINK, ADDR: KIND_ADDR, ROUTE: KIND_ROUTE, NEIGH: KIND_NEIGH } = Kind;
import { RTM_GETNEIGH, RTM_GETROUTE, RTMGRP_LINK, RTMGRP_NEIGH, RTMGRP_IPV4_IFADDR, RTMGRP_IPV4_ROUTE, RTMGRP_IPV6_ROUTE, RTMGRP_NEXTHOP } from "../../host/netlink/socket.js";
import { IfpxError } from "../../host/errors.js";

const ALL_GROUPS = RTMGRP_LINK | RTMGRP_NEIGH | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE | RTMGRP_NEXTHOP;

test("refusals and unreadable receives are told apart from errors worth retrying", () => {
  for (const e of [95, 93, 1, 13]) assert.ok(isRefusal(e), `errno ${e}`);
  for (const e of [105, 16, 4, 22, 11]) assert.not.ok(isRefusal(e), `errno ${e}: ENOBUFS, EBUSY, EINTR, EINVAL, EAGAIN are retried`);
  for (const e of [22, 95, 93]) assert.ok(isUnreadable(e));
  for (const e of [105, 1, 11]) assert.not.ok(isUnreadable(e));
});

test("the option kinds: links always, routes need addresses, nonsense rejected", () => {
  assert.is(parseKinds(undefined), KIND_LINK | KIND_ADDR | KIND_ROUTE | KIND_NEIGH);
  assert.is(parseKinds(["addr", "route"]), KIND_LINK | KIND_ADDR | KIND_ROUTE);
  assert.is(parseKinds([]), KIND_LINK);
  assert.is(parseKinds(["neigh"]), KIND_LINK | KIND_NEIGH);
  assert.throws(() => parseKinds(["route"]), (e: IfpxError) => e.code === "EINVAL" && /needs "addr"/.test(e.message));
  assert.throws(() => parseKinds(["link" as never]), (e: IfpxError) => e.code === "EINVAL");
  const noNeigh = new FollowedKinds(["addr", "route"], () => {});
  assert.is(noNeigh.groups(ALL_GROUPS), (ALL_GROUPS & ~RTMGRP_NEIGH) >>> 0);
  const linksOnly = new FollowedKinds([], () => {});
  assert.is(linksOnly.groups(ALL_GROUPS), RTMGRP_LINK, "no address, route or nexthop group");
});

test("a refused dump: its kind dropped, one report with a typed code, stats' list", () => {
  const reports: IfpxError[] = [];
  const f = new FollowedKinds(undefined, (e) => reports.push(e as IfpxError));
  assert.is(f.refuseDump(RTM_GETNEIGH, 105), 0, "ENOBUFS is not a refusal: the caller retries");
  assert.is(reports.length, 0);
  assert.is(f.refuseDump(RTM_GETNEIGH, 95), KIND_NEIGH);
  assert.is(f.bits, KIND_LINK | KIND_ADDR | KIND_ROUTE);
  assert.is(f.groupsOf(KIND_NEIGH), RTMGRP_NEIGH);
  assert.is(f.groupsOf(KIND_ROUTE), (RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE | RTMGRP_NEXTHOP) >>> 0);
  assert.is(f.refuseDump(RTM_GETROUTE, 1), KIND_ROUTE);
  assert.equal(f.refused, [{ request: "dump", kind: "neigh", errno: 95 }, { request: "dump", kind: "route", errno: 1 }]);
  assert.equal(reports.map((r) => [r.code, r.errno]), [["EOPNOTSUPP", 95], ["EPERM", 1]]);
  assert.match(reports[0].message, /refused the neigh dump \(EOPNOTSUPP\): ifpx goes on without neighbours/);
});

test("refused groups and unreadable receives: reported once each", () => {
  const reports: IfpxError[] = [];
  const f = new FollowedKinds(undefined, (e) => reports.push(e as IfpxError));
  f.refuseGroups([{ bit: RTMGRP_NEXTHOP, errno: 1 }, { bit: RTMGRP_NEIGH, errno: 95 }]);
  assert.equal(f.refused, [{ request: "group", kind: "route", group: 32, errno: 1 }, { request: "group", kind: "neigh", group: 3, errno: 95 }]);
  assert.equal(reports.map((r) => r.code), ["EPERM", "EOPNOTSUPP"]);
  reports.length = 0;
  assert.not.ok(f.unreadableReceive(105), "ENOBUFS is an overrun, not an unreadable datagram");
  for (let i = 0; i < 5; i++) assert.ok(f.unreadableReceive(22));
  assert.ok(f.unreadableReceive(95));
  assert.is(f.unreadable, 6);
  assert.equal(reports.map((r) => [r.code, r.errno]), [["EIO", 22], ["EIO", 95]], "once per errno");
});

test.run();
