// DPDK errors read once: the errno's text (or its name when the shim is not
// loaded) and the number, never the number twice.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DpdkError } from "../../host/dpdk/index.js";

test("DpdkError names the errno once", () => {
  const e = new DpdkError("rte_dev_probe(net_null0)", -22);
  assert.is(e.code, "EINVAL");
  assert.is(e.errno, 22);
  assert.match(e.message, /^rte_dev_probe\(net_null0\): (Invalid argument|EINVAL) \(errno 22\)$/);
  assert.not.match(e.message, /errno 22.*errno 22/);
  assert.match(new DpdkError("x", 9999).message, /^x: .+ \(errno 9999\)$/);
});

test.run();
