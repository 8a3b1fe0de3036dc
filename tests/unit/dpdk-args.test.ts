// DPDK mode without DPDK: EAL argument defaults, and the typed error when the
// shim cannot be loaded. Runs on every machine (no EAL init here).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { ealArgs, affinityCpus, INSTALL_HINT } from "../../host/dpdk/index.js";

test("single-process defaults: no hugepages, no shared config, lcore 0 on all allowed CPUs", () => {
  const cpus = affinityCpus();
  assert.match(cpus, /^[0-9][0-9,\-]*$/);
  assert.equal(ealArgs(), ["--no-huge", "-m", "128", "--no-shconf", "--no-pci", `--lcores=0@(${cpus})`]);
});

test("secondary mode needs a file prefix and uses hugepages", () => {
  assert.throws(() => ealArgs({ mode: "secondary" }), (e: any) => e.code === "EINVAL");
  const a = ealArgs({ mode: "secondary", filePrefix: "p1", lcores: "0@(1)", logLevel: "notice", vdevs: ["net_null9"] });
  assert.equal(a, ["--proc-type=secondary", "--file-prefix", "p1", "--no-pci", "--lcores=0@(1)", "--vdev=net_null9", "--log-level=notice"]);
  assert.not.ok(a.includes("--no-huge"));
});

test("missing shim: dpdkAvailable() says why and Eal.init throws ENODPDK with the install hint", () => {
  const code = `
    const m = await import(${JSON.stringify(new URL("../../host/dpdk/index.js", import.meta.url).href)});
    const a = m.dpdkAvailable();
    let err;
    try { m.Eal.init(); } catch (e) { err = { name: e.name, code: e.code, message: e.message, isError: e instanceof Error }; }
    console.log(JSON.stringify({ a, err }));`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    env: { ...process.env, FORCE_COLOR: undefined, IFPX_DPDK_LIB: "/nonexistent/libifpx_dpdk.so" }, encoding: "utf8",
  });
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  assert.is(out.a.ok, false);
  assert.ok(out.a.reason.includes("not found"));
  assert.is(out.err.code, "ENODPDK");
  assert.is(out.err.name, "DpdkUnavailableError");
  assert.ok(out.err.isError);
  assert.ok(out.err.message.includes(INSTALL_HINT), out.err.message);
});

test.run();
