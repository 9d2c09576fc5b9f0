// A real RabbitMQ 3.10.8 node (Debian's package) started from the files components/cluster renders
// with `warren:cluster.tls` on and the plaintext listeners off, its TLS files from a test CA
// (tests/support/certs.ts): it listens on the TLS ports only; AMQP and the management API work
// over TLS for a client that trusts the CA; plaintext is refused on both; a client showing a
// certificate from another CA is refused; a client that does not trust the CA refuses the node.
// How the runtimes provide these files is issue 16's next step (validate.ts still refuses TLS).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as tls from "node:tls";
import * as amqp from "amqplib";
import { testCa } from "../support/certs";
import { runCliAsync } from "../support/cli";
import { listeningSockets } from "../support/processes";
import { ensureRabbitInstalled } from "../support/rabbit-node";
import { tempFiles } from "../support/temp";
import { tlsNode } from "../fixtures/cluster/local-cluster";

const { dir } = tempFiles("warren-tls-it-");
const ca = testCa(path.join(dir, "ca"), "warren-test-ca");
const server = ca.issue("rabbit-tls", ["DNS:localhost", "IP:127.0.0.1"]);
const client = ca.issue("client-of-our-ca");
const other = testCa(path.join(dir, "other"), "another-ca");
const stranger = other.issue("client-of-another-ca");

/** What each TLS port answers first: the AMQP 0-9-1 header, and a plain HTTP request. */
type Speaks = "amqp" | "http";
const HELLO: Record<Speaks, string> = {
  amqp: "AMQP\x00\x00\x09\x01",
  http: "GET /api/overview HTTP/1.0\r\n\r\n",
};

/** What a TLS client gets from `port`: "ok" after a full handshake and an answer, or the error. */
function tlsOutcome(port: number, speaks: Speaks, options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: "127.0.0.1", port, ...options });
    s.setTimeout(10_000, () => s.destroy(new Error("timeout")));
    s.once("error", (e: Error) => resolve(e.message));
    // A refused client certificate is reported after the handshake in TLS 1.3: wait for the
    // server's verdict by saying hello in the port's protocol and waiting for an answer.
    s.once("secureConnect", () => s.write(HELLO[speaks]));
    s.once("data", () => {
      s.destroy();
      resolve("ok");
    });
    s.once("end", () => resolve("closed by the server"));
  });
}

function httpsGet(port: number, pathname: string, auth: string, ca?: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = https.get(
      { host: "127.0.0.1", port, path: pathname, auth, ca, timeout: 10_000 },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
  });
}

/** The error of a plain TCP connection to `port` ("open" if it connects). */
function tcpOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve("open");
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe("a real node with TLS on and plaintext off", () => {
  const cluster = tlsNode("rabbit-tls@localhost", {
    ca: ca.cert,
    cert: server.cert,
    key: server.key,
  });
  const node = () => cluster.nodes[0];
  const ports = (): [number, Speaks][] => [
    [node().ports.amqps, "amqp"],
    [node().ports.managementTls, "http"],
  ];
  const auth = () => `${cluster.adminUser}:${cluster.adminPassword}`;
  const amqpsUrl = () =>
    `amqps://${encodeURIComponent(cluster.adminUser)}:${encodeURIComponent(cluster.adminPassword)}@127.0.0.1:${node().ports.amqps}`;

  before(async () => {
    ensureRabbitInstalled();
    await cluster.start();
  });
  after(() => cluster.destroy());

  it("listens on the TLS ports, Prometheus and distribution only, on 127.0.0.1", () => {
    const p = node().ports;
    assert.deepEqual(
      listeningSockets(node().beamPid()),
      [p.amqps, p.distribution, p.managementTls, p.prometheus]
        .sort((a, b) => a - b)
        .map((port) => `127.0.0.1:${port}`),
    );
  });

  it("refuses plaintext AMQP and HTTP: their ports are closed", async () => {
    assert.equal(await tcpOutcome(node().ports.amqp), "ECONNREFUSED");
    assert.equal(await tcpOutcome(node().ports.management), "ECONNREFUSED");
  });

  it("carries AMQP over TLS for a client that trusts the CA: a message there and back", async () => {
    const conn = await amqp.connect(amqpsUrl(), { ca: [ca.cert] });
    try {
      const ch = await conn.createConfirmChannel();
      const q = await ch.assertQueue("", { exclusive: true });
      ch.sendToQueue(q.queue, Buffer.from("over tls"));
      await ch.waitForConfirms();
      const m = await ch.get(q.queue, { noAck: true });
      assert.equal(m && m.content.toString(), "over tls");
    } finally {
      await conn.close();
    }
  });

  it("serves the management API over TLS, with the node's certificate from our CA", async () => {
    const r = await httpsGet(node().ports.managementTls, "/api/overview", auth(), ca.cert);
    assert.equal(r.status, 200, r.body);
    const listeners = (
      JSON.parse(r.body) as { listeners: { protocol: string; port: number }[] }
    ).listeners.map((l) => `${l.protocol}:${l.port}`);
    const p = node().ports;
    assert.deepEqual(listeners.sort(), [
      `amqp/ssl:${p.amqps}`,
      `clustering:${p.distribution}`,
      `http/prometheus:${p.prometheus}`,
      `https:${p.managementTls}`,
    ]);
  });

  it("accepts a client certificate from our CA, refuses one from another CA", async () => {
    for (const [port, speaks] of ports()) {
      assert.equal(await tlsOutcome(port, speaks, { ca: ca.cert, ...client }), "ok", speaks);
      assert.match(await tlsOutcome(port, speaks, { ca: ca.cert, ...stranger }), /unknown ca/i);
    }
  });

  it("takes alerts from `warren alert` over amqps with --ca, and refuses them without", async () => {
    const conn = await amqp.connect(amqpsUrl(), { ca: [ca.cert] });
    try {
      const ch = await conn.createChannel();
      await ch.assertExchange("alerts", "topic", { durable: false });
      const q = await ch.assertQueue("", { exclusive: true });
      await ch.bindQueue(q.queue, "alerts", "#");
      const url = `amqps://${encodeURIComponent(cluster.adminUser)}@127.0.0.1:${node().ports.amqps}/`;
      const env = { WARREN_AMQP_PASSWORD: cluster.adminPassword };
      const alert = [
        "--url",
        url,
        "--severity",
        "critical",
        "--title",
        "over tls",
        "--id",
        "tls-1",
      ];
      const caFile = path.join(dir, "alert-ca.pem");
      fs.writeFileSync(caFile, ca.cert);
      const ok = await runCliAsync(["alert", ...alert, "--ca", caFile], env);
      assert.equal(ok.code, 0, ok.err.join("\n"));
      assert.match(ok.out.join("\n"), /^confirmed tls-1 attempts=1 node=amqps:\/\//);
      const m = await ch.get(q.queue, { noAck: true });
      assert.equal(m && (JSON.parse(m.content.toString()) as { id: string }).id, "tls-1");
      const refused = await runCliAsync(["alert", ...alert, "--timeout", "2s"], env);
      assert.equal(refused.code, 1);
      assert.match(refused.err.join("\n"), /self[- ]signed certificate in certificate chain/);
    } finally {
      await conn.close();
    }
  });

  it("is refused by a client that does not trust our CA", async () => {
    for (const [port, speaks] of ports())
      assert.match(
        await tlsOutcome(port, speaks, {}),
        /self[- ]signed certificate in certificate chain/,
      );
    await assert.rejects(
      amqp.connect(amqpsUrl()),
      /self[- ]signed certificate in certificate chain/,
    );
  });
});
