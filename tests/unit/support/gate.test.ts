// The crash test's gate (tests/support/gate.ts) against a loopback HTTP server standing in for the
// management API: it forwards requests and answers as they are, lets exactly `passImports` vhost
// imports through even when they arrive together, holds the later ones, refuses connections
// once cut, and forwards everything after it is reopened on the same port.
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { type Gate, startGate } from "../../support/gate";

let upstream: http.Server;
let target: string;
const seen: string[] = [];
before(async () => {
  upstream = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const line = `${req.method ?? ""} ${req.url ?? ""}`;
      seen.push(line);
      res.writeHead(req.url === "/api/missing" ? 404 : 200, { "content-type": "text/plain" });
      res.end(`${line} ${body}`);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => upstream.close(() => r())));

const call = (g: Gate, method: string, p: string, body?: string) =>
  fetch(`${g.url}${p}`, { method, body, signal: AbortSignal.timeout(5_000) }).then(
    async (r) => ({ status: r.status, text: await r.text() }),
    (e: Error) => ({ status: 0, text: `${e.message} ${String((e.cause as Error)?.message)}` }),
  );

describe("the crash test's gate", () => {
  it("forwards requests, bodies and statuses as the upstream gives them", async () => {
    const g = await startGate(target, 1);
    try {
      assert.deepEqual(await call(g, "PUT", "/api/vhosts/a", "{}"), {
        status: 200,
        text: "PUT /api/vhosts/a {}",
      });
      assert.equal((await call(g, "GET", "/api/missing")).status, 404);
    } finally {
      await g.close();
    }
  });

  it("lets exactly passImports imports through and holds the rest, however they arrive", async () => {
    const g = await startGate(target, 2);
    seen.length = 0;
    try {
      const imports = ["v0", "v1", "v2", "v3"].map((v) =>
        call(g, "POST", `/api/definitions/${v}`, "{}"),
      );
      const { imported, held } = await g.caught();
      assert.equal(imported.length, 2);
      assert.equal(held.length, 2);
      assert.deepEqual([...imported, ...held].sort(), ["v0", "v1", "v2", "v3"]);
      assert.deepEqual(seen.filter((s) => s.startsWith("POST")).length, 2);
      // Other requests still pass while imports are held.
      assert.equal((await call(g, "GET", "/api/definitions/v0")).status, 200);
      // Cut: the held imports are reset, and new connections are refused.
      await g.cut();
      const results = await Promise.all(imports);
      assert.deepEqual(results.filter((r) => r.status === 200).length, 2);
      for (const r of results.filter((x) => x.status !== 200)) assert.equal(r.status, 0);
      assert.match((await call(g, "GET", "/api/overview")).text, /ECONNREFUSED/);
      // Reopened on the same port: everything goes through, imports included.
      await g.reopen();
      assert.equal((await call(g, "POST", "/api/definitions/v9", "{}")).status, 200);
      assert.ok(seen.includes("POST /api/definitions/v9"));
    } finally {
      await g.close();
    }
  });
});
