// The CLI's JSON-lines schema is the decoded event's fields minus the byte
// arrays, and the README's table (section CLI) lists exactly those, in order:
// each type's record built by hand, decoded, serialised, its keys compared.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { decodeEvent, EVENT_TYPE_NAMES, EventFlag } from "../../host/record.js";
import { eventJson, infoJson, statsJson } from "../../host/cli/json.js";

const BASE = ["type", "typeId", "portId", "proxyId", "flags", "family", "ifindex", "seq"];

function documented(): Map<string, string[]> {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const block = /<!-- json-schema:[^>]*-->([\s\S]*?)<!-- \/json-schema -->/.exec(readme);
  assert.ok(block, "README has the JSON schema table");
  const out = new Map<string, string[]>();
  for (const row of block![1].split("\n")) {
    const m = /^\| ([A-Z0-9_, ]+) \| (.*) \|$/.exec(row.trim());
    if (!m) continue;
    const fields = m[2] === "(none)" ? [] : m[2].split(", ");
    for (const t of m[1].split(", ")) out.set(t, fields);
  }
  return out;
}

function json(typeId: number, flags = 0): Record<string, unknown> {
  const v = new DataView(new ArrayBuffer(64));
  v.setUint16(0, typeId, true);
  v.setUint8(6, flags);
  return JSON.parse(eventJson(decodeEvent(v, 0)));
}

test("every event type's JSON keys are the README's, in order, after the common ones", () => {
  const doc = documented();
  assert.equal([...doc.keys()].sort(), [...EVENT_TYPE_NAMES].sort(), "every type documented once");
  for (const [typeId, name] of EVENT_TYPE_NAMES.entries()) {
    const o = json(typeId);
    assert.equal(Object.keys(o), [...BASE, ...doc.get(name)!], name);
    assert.is(o.type, name);
  }
  // an IPv4 route via an IPv6 gateway has the same keys (its gatewayBytes left out, gateway in text)
  const via = json(7, EventFlag.GATEWAY6);
  assert.equal(Object.keys(via), [...BASE, ...doc.get("ROUTE_ADD")!]);
  assert.is(via.gateway, "::");
});

test("INFO and STATS lines", () => {
  assert.equal(JSON.parse(infoJson(0x8000, 0, { ifindex: 2, name: "dp0", mtu: 1500, mac: "02:00:00:00:00:01", up: true })),
    { type: "INFO", proxyId: 0x8000, portId: 0, ifindex: 2, name: "dp0", mtu: 1500, mac: "02:00:00:00:00:01", up: true });
  const s = JSON.parse(statsJson({ datagrams: 3, refused: [{ request: "dump", kind: "neigh", errno: 95 }], unreadable: 0, core: { messages: 9 } } as never));
  assert.equal(s, { type: "STATS", datagrams: 3, refused: [{ request: "dump", kind: "neigh", errno: 95 }], unreadable: 0, core: { messages: 9 } });
});

test.run();
