// What a listener asks the kernel for, from the options: the four dump
// requests (link, address, route, neighbour) for the address families
// followed, and the notification groups to join.
import { IfpxError } from "../errors.js";
import {
  RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE, RTM_GETNEIGH,
  RTMGRP_LINK, RTMGRP_NEIGH, RTMGRP_IPV4_IFADDR, RTMGRP_IPV4_ROUTE, RTMGRP_IPV6_IFADDR, RTMGRP_IPV6_ROUTE, RTMGRP_NEXTHOP,
} from "../netlink/socket.js";
import type { FollowedKinds } from "../followed-kinds.js";
import type { DumpRequest } from "./sync-machine.js";

const AF_INET = 2, AF_INET6 = 10;

/** The option `families` (default both), checked. */
export function checkFamilies(families: unknown): { v4: boolean; v6: boolean } {
  const fam = families ?? [4, 6];
  if (!Array.isArray(fam) || !fam.length || fam.length > 2 || fam.some((f) => f !== 4 && f !== 6)) {
    throw new IfpxError("EINVAL", "families must be a non-empty list of 4 and/or 6");
  }
  return { v4: fam.includes(4), v6: fam.includes(6) };
}

export function planDumps({ v4, v6 }: { v4: boolean; v6: boolean }, followed: FollowedKinds): { dumps: DumpRequest[]; groups: number } {
  // both: one AF_UNSPEC dump per kind; one family: that family's dumps only
  const af = v4 && v6 ? 0 : v4 ? AF_INET : AF_INET6;
  const dumps: DumpRequest[] = [[RTM_GETLINK, 0], [RTM_GETADDR, af], [RTM_GETROUTE, af], [RTM_GETNEIGH, af]];
  const groups = followed.groups(RTMGRP_LINK | RTMGRP_NEIGH | (v4 ? RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE : 0) |
    (v6 ? RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE : 0) | RTMGRP_NEXTHOP);
  return { dumps, groups };
}
