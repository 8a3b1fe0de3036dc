// l3fwd-ifpx: the control process of the example data plane. Run it inside
// the router's network namespace, one --port per data link:
//
//   ip netns exec R node --import tsx examples/l3fwd/l3fwd.ts --port v0:dp0 --port v1:dp1 [options]
//
// It is the DPDK EAL primary (no hugepages). Per --port IFACE:PROXY it probes
// a net_af_packet port on the existing interface IFACE (the data link) and
// asks ifpx for a net_tap proxy named PROXY bound to it; it creates one
// rte_ring, adds it to ifpx as a queue, starts the C data plane
// (libl3fwd.so) on EAL worker lcore 1 and listens. From then on the data
// plane's tables change only through the events ifpx puts in that ring.
//
// Options: --ring-size EVENTS (default 65536), --routes4 N, --routes6 N,
// --tbl8s4 N, --tbl8s6 N, --neighs N, --busy-poll (no idle sleep), --log-size N
// (route-change log for the benchmark), --rcvbuf BYTES (ifpx's netlink receive
// buffer), --defer-listen (wait for the `listen` command), --print-every SECONDS,
// --memory MiB (EAL -m; default from the table sizes).
//
// stdout: `READY {json}` once listening (ports, proxies, ring); the tables on
// SIGUSR1, on `print` and every --print-every seconds. Commands on stdin, one a
// line, each answered by one line starting with the command's tag:
//   stats            STATS {data plane counters, "ifpx": ifpx.stats(), "ring": {...}}
//   dump PATH        DUMP {"path","routes"}   the tables as JSON (see README)
//   print            the tables as text, then PRINTED
//   log PATH         LOG {"path","entries"}   route-change log (ns route)
//   listen           LISTENING {"t0","t1"}    with --defer-listen: hrtime ns around ifpx.listen()
//   pause | resume | resync | replay | hold on | hold off    OK <command>
//   link PORT up|down    OK link PORT up|down   the data port's link (see below)
//   quit             BYE {stats}, then exit 0
// Errors: ERROR <command> <message>. EOF on stdin, SIGINT or SIGTERM: as quit.
//
// Port -> proxy sync (ifpx's default in DPDK mode): each proxy takes its data
// port's MAC and MTU at bind, and its carrier follows the port's link. DPDK
// 22.11's net_af_packet reports its link up from start to stop whatever its
// interface does, and has no rte_eth_dev_set_link_up/down: for these ports
// the link ifpx polls (PortBackend.linkOf) is also the interface's operstate
// (a cable pulled on the host side shows), and `link PORT down|up` sets the
// interface down or up when the PMD cannot set its link itself.
//
// VLAN / QinQ sub-interfaces of the proxies are followed (ifpx's option
// subinterfaces): each is a logical port of the data plane (README, VLANs).
import { readFileSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createInterface } from "node:readline";
import { Ifpx, type IfpxStats, type PortBackend, type SubinterfaceInfo } from "../../host/index.js";
import { Eal, DpdkPorts, RteRingQueue, createDpdkPortBackend, affinityCpus } from "../../host/dpdk/index.js";
import { Dataplane, DEFAULT_CONFIG, type DataplaneConfig } from "./dataplane.js";

const FORWARDING_LCORE = 1;

interface Options {
  ports: { iface: string; proxy: string }[];
  ringSize: number;
  cfg: DataplaneConfig;
  rcvbuf?: number;
  deferListen: boolean;
  printEvery: number;
  memoryMb?: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { ports: [], ringSize: 65536, cfg: { ...DEFAULT_CONFIG }, deferListen: false, printEvery: 0 };
  const num = (i: number) => {
    const v = Number(argv[i]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${argv[i - 1]} needs a number, got ${argv[i]}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case "--port": {
        const m = /^([^:]+):([^:]+)$/.exec(argv[++i] ?? "");
        if (!m) throw new Error("--port IFACE:PROXY");
        o.ports.push({ iface: m[1], proxy: m[2] });
        break;
      }
      case "--ring-size": o.ringSize = num(++i); break;
      case "--routes4": o.cfg.routes4 = num(++i); break;
      case "--routes6": o.cfg.routes6 = num(++i); break;
      case "--tbl8s4": o.cfg.tbl8s4 = num(++i); break;
      case "--tbl8s6": o.cfg.tbl8s6 = num(++i); break;
      case "--neighs": o.cfg.neighs = num(++i); break;
      case "--log-size": o.cfg.logSize = num(++i); break;
      case "--busy-poll": o.cfg.idleSleepUs = 0; break;
      case "--rcvbuf": o.rcvbuf = num(++i); break;
      case "--defer-listen": o.deferListen = true; break;
      case "--print-every": o.printEvery = num(++i); break;
      case "--memory": o.memoryMb = num(++i); break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  if (o.ports.length === 0) throw new Error("at least one --port IFACE:PROXY");
  return o;
}

/** EAL memory (-m, MiB) the tables need: the FIB's fixed 64 MiB tbl24, RIB nodes and the prefix hash per route, tbl8s, ring, mbufs. */
function memoryFor(o: Options): number {
  const c = o.cfg;
  const bytes = 64 * 2 ** 20 + o.ringSize * 64 + (c.routes4 + c.routes6) * 400 + (c.tbl8s4 + c.tbl8s6) * 1100 +
    c.neighs * 64 + c.mbufs * 2400;
  return Math.ceil((bytes * 1.5) / 2 ** 20) + 256;
}

const opts = parseArgs(process.argv.slice(2));
const FILE_PREFIX = `l3fwd${process.pid}`;
// EAL makes /var/run/dpdk/<prefix> even with --no-shconf and leaves it; so would a failed start
process.on("exit", () => rmSync(`/var/run/dpdk/${FILE_PREFIX}`, { recursive: true, force: true }));
const cpus = affinityCpus();
Eal.init({
  mode: "single",
  memoryMb: opts.memoryMb ?? memoryFor(opts),
  lcores: `0@(${cpus}),${FORWARDING_LCORE}@(${cpus})`,
  logLevel: process.env.L3FWD_EAL_LOG ?? "warning",
  extraArgs: ["--file-prefix", FILE_PREFIX],
});

const say = (tag: string, data?: unknown): void => { process.stdout.write(`${tag}${data === undefined ? "" : ` ${typeof data === "string" ? data : JSON.stringify(data)}`}\n`); };

// data port -> its af_packet interface
const ifaceOf = new Map<number, string>();
const operUp = (iface: string): boolean => {
  try { return readFileSync(`/sys/class/net/${iface}/operstate`, "utf8").trim() === "up"; } catch { return false; }
};
const dpdkBackend = createDpdkPortBackend();
const backend: PortBackend = {
  ...dpdkBackend,
  linkOf(port) {
    const l = dpdkBackend.linkOf(port);
    const iface = ifaceOf.get(port);
    return iface === undefined ? l : { ...l, up: l.up && operUp(iface) };
  },
};

// A VLAN (or QinQ) sub-interface of a proxy (`ip link add link dp0 name dp0.100 type vlan id 100`)
// is a logical port of the data plane. Its id is derived from the sub-interface's proxy id, which
// ifpx keeps unique among live sub-interfaces (0xF000 up): no allocation state to keep in step with
// deletions, and never an ethdev id (< RTE_MAX_ETHPORTS). The data plane learns the id from the
// ring itself (SUBIF_ADD, then the sub-interface's own records for this id, in order), not from a
// call: a call would race the lcore that reads the ring and owns the tables.
const SUBPORT_BASE = 0x100;
const subport = (sub: SubinterfaceInfo) => SUBPORT_BASE + (sub.proxyId & 0x0fff);

// ifpx's mirror sized like the data plane's tables: it never grows (rehashes) while a table loads
const ifpx = new Ifpx({
  ports: backend, rcvbuf: opts.rcvbuf, onError: (e) => say("IFPX_ERROR", String(e)),
  reserve: { routes4: opts.cfg.routes4, routes6: opts.cfg.routes6, neighbours: opts.cfg.neighs },
  subinterfaces: { port: subport },
});
const dataPorts: number[] = [];
const proxies: number[] = [];
for (const [i, p] of opts.ports.entries()) {
  const port = DpdkPorts.createByDevarg(`net_af_packet${i},iface=${p.iface}`);
  ifaceOf.set(port, p.iface);
  const proxy = ifpx.createProxy({ name: p.proxy });
  ifpx.bind(port, proxy);
  dataPorts.push(port);
  proxies.push(proxy);
}
const ring = RteRingQueue.create(`l3fwd_ev${process.pid}`, opts.ringSize);
ifpx.queueAdd(ring);
const dp = new Dataplane();
dp.init(ring.ring, dataPorts, proxies, opts.cfg);
dp.launch(FORWARDING_LCORE);

// A full ring lost records (the data plane reads an OVERFLOW record): refill it
// with ifpx's current state; the data plane drops what the replay did not mention.
let replaying: Promise<void> | undefined;
let replays = 0;
let seenLost = 0;
const watcher = setInterval(() => {
  if (replaying || ring.lost === seenLost) return;
  seenLost = ring.lost;
  replays++;
  replaying = ifpx.replayInto(ring).catch((e) => say("IFPX_ERROR", `replayInto: ${e}`)).finally(() => { replaying = undefined; });
}, 10);

function stats(): Record<string, unknown> {
  const s: IfpxStats = ifpx.stats();
  return {
    ...dp.stats(),
    ifpx: { overruns: s.overruns, resyncs: s.resyncs, delivered: s.delivered, syncing: s.syncing, datagrams: s.datagrams },
    ring: { name: ring.name, capacity: ring.capacity, count: ring.count(), lost: ring.lost, replays },
  };
}

async function print(): Promise<void> {
  process.stdout.write(await dp.text());
}

async function listen(): Promise<{ t0: string; t1: string }> {
  const t0 = process.hrtime.bigint();
  await ifpx.listen();
  const t1 = process.hrtime.bigint();
  return { t0: String(t0), t1: String(t1) };
}

let quitting = false;
async function quit(code = 0): Promise<void> {
  if (quitting) return;
  quitting = true;
  clearInterval(watcher);
  let last: unknown;
  try { last = stats(); } catch (e) { last = { error: String(e) }; }
  dp.stop();
  await ifpx.dispose();           // closes and removes the proxies' net_tap ports
  for (const p of dataPorts) DpdkPorts.destroy(p);
  ring.close();
  Eal.cleanup();
  say("BYE", last);
  process.exit(code);
}

async function command(line: string): Promise<void> {
  const [cmd, ...rest] = line.trim().split(/\s+/);
  const arg = rest.join(" ");
  try {
    switch (cmd) {
      case "": return;
      case "stats": return say("STATS", stats());
      case "dump": return say("DUMP", { path: arg, routes: await dp.request("json", arg) });
      case "print": await print(); return say("PRINTED");
      case "log": return say("LOG", { path: arg, entries: await dp.request("log", arg) });
      case "listen": return say("LISTENING", await listen());
      case "pause": ifpx.pause(); return say("OK", cmd);
      case "resume": ifpx.resume(); return say("OK", cmd);
      case "resync": ifpx.resync(); return say("OK", cmd);
      case "replay": replays++; await ifpx.replayInto(ring); return say("OK", cmd);
      case "hold": dp.hold(arg === "on"); return say("OK", `${cmd} ${arg}`);
      case "link": setLink(rest); return say("OK", `${cmd} ${arg}`);
      case "quit": return quit(0);
      default: throw new Error(`unknown command (stats, dump PATH, print, log PATH, listen, pause, resume, resync, replay, hold on|off, link PORT up|down, quit)`);
    }
  } catch (e) {
    say("ERROR", `${cmd} ${(e as Error).message ?? e}`);
  }
}

/** `link PORT up|down`: rte_eth_dev_set_link_up/down, or the af_packet interface's admin state. */
function setLink([p, state]: string[]): void {
  const port = Number(p);
  if (!dataPorts.includes(port) || (state !== "up" && state !== "down")) throw new Error(`link PORT up|down, PORT one of ${dataPorts.join(", ")}`);
  try {
    DpdkPorts.setLink(port, state === "up");
  } catch (e) {
    const iface = ifaceOf.get(port);
    if ((e as { code?: string }).code !== "ENOTSUP" || iface === undefined) throw e;
    // a short-lived child: EAL's fds it inherits are closed when it exits
    execFileSync("ip", ["link", "set", "dev", iface, state], { stdio: "ignore" });
  }
}

// commands are served one at a time, in order
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on("line", (l) => { queue = queue.then(() => command(l)); }).on("close", () => { queue = queue.then(() => quit(0)); });
process.on("SIGINT", () => void quit(0));
process.on("SIGTERM", () => void quit(0));
process.on("SIGUSR1", () => { queue = queue.then(print); });

const ready = () => say("READY", {
  pid: process.pid,
  ports: opts.ports.map((p, i) => ({ iface: p.iface, port: dataPorts[i], proxy: proxies[i], name: p.proxy })),
  ring: { name: ring.name, capacity: ring.capacity },
  lcore: FORWARDING_LCORE,
});
if (opts.deferListen) {
  say("STARTED", { pid: process.pid, ports: opts.ports.map((p, i) => ({ iface: p.iface, port: dataPorts[i], proxy: proxies[i], name: p.proxy })) });
} else {
  await listen();
  ready();
}
if (opts.printEvery > 0) setInterval(() => { queue = queue.then(print); }, opts.printEvery * 1000);
