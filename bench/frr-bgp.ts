// BGP full-table learning through the router: a peer's bgpd announces N
// prefixes (then withdraws them all) to FRR on the router's proxies; times
// from the peer's first UPDATE on the wire (tcpdump in the peer's namespace)
// until
//   - the kernel has all of them: `ip route show proto bgp` polled back to
//     back (the baseline; one poll costs one dump of the table, printed as
//     "ip route dump" with the table complete),
//   - ifpx (in the data plane's control process) delivered all of their
//     route events to the data plane's ring (its counters, polled),
//   - the data plane's FIB has all of them (l3fwd's time stamp of its last
//     route change, once its FIB holds the whole table).
// The same three for the withdrawal. Uses the lab of the FRR tests
// (tests/integration/helpers/bgp-lab.ts).
//
// First, how a peer's table is best made (bench announceSetup()).
//
//   node --import tsx bench/frr-bgp.ts [--sizes 100000,1000000] [--runs N] [--poll-gap MS] [--methods N|0]
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withBgpLab, hostAddr, PEER_AS, ROUTER_AS, type BgpLab } from "../tests/integration/helpers/bgp-lab.ts";
import { addPrefixes, bgpdConf, prefixOf, UpdateCapture } from "../tests/integration/helpers/bgp-peer.ts";
import { Frr, pollUntil } from "../tests/integration/helpers/frr.ts";
import { createNetns } from "../tests/integration/helpers/netns.ts";
import { fmtSec, median, renderTable, sleep } from "./lib.ts";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}
const SIZES = arg("--sizes", "100000,1000000").split(",").map(Number).filter((n) => n > 0);
const RUNS = Number(arg("--runs", "1"));
const POLL_GAP_MS = Number(arg("--poll-gap", "200"));
const METHODS_N = Number(arg("--methods", "100000"));
// the data plane's counters through its command channel
const PLANE_POLL_MS = 50;

/** `ip route show proto bgp | wc -l` in the router namespace, without blocking the event loop */
function countKernelBgp(lab: BgpLab): Promise<{ n: number; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const c = spawn("sh", ["-c", `ip -n ${lab.router.name} -4 route show proto bgp | wc -l`], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    c.stdout.on("data", (b) => { out += b; });
    c.on("error", reject);
    c.on("close", () => resolve({ n: Number(out.trim()), ms: Date.now() - t0 }));
  });
}

/** polls the kernel back to back until it shows `want` BGP routes; the time the poll that saw it ended */
async function kernelReaches(lab: BgpLab, want: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { n } = await countKernelBgp(lab);
    if (n === want) return Date.now();
    if (Date.now() > deadline) throw new Error(`kernel has ${n} BGP routes, want ${want}`);
    // a pause between dumps: back to back, they would take a CPU from FRR and ifpx
    await sleep(POLL_GAP_MS);
  }
}

interface Phase { kernel: number; ifpx: number; fib: number }

/**
 * Polls the data plane's counters until ifpx delivered `events` more records
 * than at the start and its FIB holds `prefixes` IPv4 prefixes. ifpx: the
 * time of the first poll that saw the records delivered; FIB: the data
 * plane's own time stamp of its last route change.
 */
async function planeReaches(lab: BgpLab, events: number, prefixes: number, timeoutMs: number): Promise<{ ifpx: number; fib: number }> {
  const start = (await lab.plane.l3.stats()).ifpx.delivered;
  const deadline = Date.now() + timeoutMs;
  let ifpx = 0;
  for (;;) {
    const st = await lab.plane.l3.stats();
    if (!ifpx && st.ifpx.delivered - start >= events) ifpx = Date.now();
    if (ifpx && st.lpm4 === prefixes) return { ifpx, fib: await lab.plane.lastRouteChange() };
    if (Date.now() > deadline) throw new Error(`data plane: ${st.ifpx.delivered - start} records delivered, want ${events}; ${st.lpm4} prefixes, want ${prefixes}`);
    await sleep(PLANE_POLL_MS);
  }
}

async function phase(lab: BgpLab, act: () => void, n: number, kernelWant: number, fibWant: number, timeoutMs: number): Promise<Phase> {
  const cap = await UpdateCapture.start(lab.peer, "eth0", hostAddr(1));
  try {
    const plane = planeReaches(lab, n, fibWant, timeoutMs);
    act();
    const [k, p] = await Promise.all([kernelReaches(lab, kernelWant, timeoutMs), plane]);
    const first = await cap.at;
    return { kernel: k - first, ifpx: p.ifpx - first, fib: p.fib - first };
  } finally { cap.stop(); }
}

/**
 * How fast a peer gets N prefixes into its BGP table, ready to announce, three
 * ways: kernel routes redistributed (what the tests and the lab use),
 * `network` statements and static routes redistributed, both as a config file
 * through `vtysh -f` (FRR's CLI parses them line by line).
 */
async function announceSetup(method: "kernel" | "network" | "static", n: number): Promise<number> {
  const ns = createNetns("ifpxf");
  const frr = new Frr(ns, method, {
    bgpd: bgpdConf({ as: PEER_AS, routerId: "10.9.9.1", neighbours: [{ address: "10.9.9.9", remoteAs: ROUTER_AS }] }),
    staticd: method === "static" ? "" : undefined,
  });
  const file = join(tmpdir(), `ifpx-frr-${ns.name}.conf`);
  try {
    await frr.start();
    const t0 = Date.now();
    if (method === "kernel") {
      await addPrefixes(ns, n);
      frr.configure(`router bgp ${PEER_AS}`, "address-family ipv4 unicast", "redistribute kernel route-map ANNOUNCE");
    } else {
      const lines = method === "network"
        ? [`router bgp ${PEER_AS}`, " address-family ipv4 unicast", ...Array.from({ length: n }, (_, i) => `  network ${prefixOf(i)}`)]
        : [...Array.from({ length: n }, (_, i) => `ip route ${prefixOf(i)} blackhole`), `router bgp ${PEER_AS}`, " address-family ipv4 unicast", "  redistribute static"];
      writeFileSync(file, lines.join("\n") + "\n");
      ns.exec("vtysh", "--vty_socket", frr.dir, "-f", file);
    }
    let rib = 0;
    await pollUntil(() => (rib = frr.json("show bgp ipv4 unicast summary").ribCount ?? 0) >= n, 600_000, () => `${method}: bgpd has ${rib} of ${n}`, 200);
    return Date.now() - t0;
  } finally {
    rmSync(file, { force: true });
    await frr.stop();
    ns.remove();
  }
}

const rows: string[][] = [];
for (const n of SIZES) {
  const learn: Phase[] = [], withdraw: Phase[] = [], dumps: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    process.stderr.write(`frr-bgp: ${n} prefixes, run ${run + 1}/${RUNS}: setting up\n`);
    await withBgpLab({ prefixes: n, nsPrefix: "ifpxf" }, async (lab) => {
      const base = await lab.plane.count();
      const timeout = 60_000 + n;
      learn.push(await phase(lab, () => lab.table.announce(), n, n, base + n, timeout));
      for (let i = 0; i < 3; i++) dumps.push((await countKernelBgp(lab)).ms);
      process.stderr.write(`frr-bgp: learnt ${JSON.stringify(learn.at(-1))}, dumps ${dumps.slice(-3)} ms\n`);
      withdraw.push(await phase(lab, () => lab.table.withdrawAll(), n, 0, base, timeout));
      process.stderr.write(`frr-bgp: withdrawn ${JSON.stringify(withdraw.at(-1))}\n`);
    });
  }
  for (const [name, ps] of [["learn", learn], ["withdraw", withdraw]] as const) {
    const m = (f: (p: Phase) => number | undefined) => {
      const xs = ps.map(f).filter((x): x is number => x !== undefined);
      return xs.length ? fmtSec(median(xs) / 1000) : "-";
    };
    rows.push([String(n), name, m((p) => p.kernel), m((p) => p.ifpx), m((p) => p.fib), m((p) => p.fib - p.kernel), fmtSec(median(dumps) / 1000)]);
  }
}
if (METHODS_N > 0) {
  const m: string[][] = [];
  for (const method of ["kernel", "network", "static"] as const) {
    process.stderr.write(`frr-bgp: ${METHODS_N} prefixes into the peer's BGP table by ${method}\n`);
    m.push([method, String(METHODS_N), fmtSec((await announceSetup(method, METHODS_N)) / 1000)]);
  }
  console.log(`The peer's table: time until its bgpd holds every prefix, ready to announce`);
  console.log(renderTable(["how", "prefixes", "time"], m));
  console.log();
}
if (rows.length) {
  console.log(`BGP full table through the router (median of ${RUNS}; times from the peer's first UPDATE)`);
  console.log(renderTable(["prefixes", "phase", "kernel has all (ip route poll)", "ifpx delivered all", "data-plane FIB has all", "FIB - kernel", "ip route dump of the full table"], rows));
}
