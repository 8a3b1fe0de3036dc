// Mistakes the package's types must catch (each line below must be an error:
// an unused @ts-expect-error fails the check, so these prove the types are not `any`).
import { Ifpx, type IfpxEvent } from "ifpx";
import { RteRingQueue } from "ifpx/dpdk";

// @ts-expect-error: kinds are "addr", "route", "neigh"
new Ifpx({ kinds: ["links"] });
// @ts-expect-error: a proxy id is a number
new Ifpx().bind(0, "dp0");
// @ts-expect-error: ROUTE events have no prefixLen (depth)
export const f = (e: IfpxEvent) => e.type === "ROUTE_ADD" && e.prefixLen;
// @ts-expect-error: create takes a name and a size
RteRingQueue.create(1024);
