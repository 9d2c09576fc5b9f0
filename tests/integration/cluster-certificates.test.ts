// `warren:cluster.tls: {mode: generate}`'s certificates (components/cluster/tls.ts) made by the
// real engine with the official pulumi-resource-tls 5.3.0 (built from pulumi/pulumi-tls's source
// by scripts/toolchain.sh), checked with openssl (chain, names, key pairs, lifetimes), kept out of
// the state in plaintext, used by a real RabbitMQ 3.10.8 node for AMQP and the management API,
// and replaced as a whole by a rotation bump.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as amqp from "amqplib";
import { engineEnv, jsProject } from "../support/engine";
import { PROJECT_DIR } from "../support/program";
import { ensureRabbitInstalled } from "../support/rabbit-node";
import { tempFiles } from "../support/temp";
import { tlsNode } from "../fixtures/cluster/local-cluster";

const NODES = ["warren-t-rabbit-1", "warren-t-rabbit-2"];
const bin = (m: string) => JSON.stringify(path.join(PROJECT_DIR, "bin", m));

/** The program: the component on the plan for two Docker nodes, rotation from the config. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { clusterSchema } = require(${bin("components/cluster")});
const { certificatePlan, dockerCertificateNames } = require(${bin("components/cluster/certificates")});
const { ClusterCertificates } = require(${bin("components/cluster/tls")});
const rotation = new pulumi.Config().requireNumber("rotation");
const tls = clusterSchema.parse({ tls: { mode: "generate", rotation } }).tls;
const certs = new ClusterCertificates(
  "t",
  certificatePlan("t", tls, dockerCertificateNames(${JSON.stringify(NODES)})),
);
exports.ca = certs.caCert;
exports.nodes = certs.nodes.map((n) => ({ id: n.id, cert: n.cert, key: n.key }));
`;

interface Outputs {
  ca: string;
  nodes: { id: string; cert: string; key: string }[];
}

const { dir } = tempFiles("warren-certs-it-");
const env = { ...process.env, ...engineEnv(dir) };

function run(cmd: string, args: string[], input?: string) {
  const r = spawnSync(cmd, args, { cwd: dir, env, input, encoding: "utf8", timeout: 300_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function pulumi(...args: string[]): string {
  const r = run("pulumi", [...args, "--non-interactive"]);
  assert.equal(r.code, 0, `pulumi ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** openssl with a PEM file made of `pem` as its last argument's stand-in `{}`. */
function openssl(args: string[], pems: Record<string, string> = {}): string {
  const files = Object.entries(pems).map(([name, pem]) => {
    const f = path.join(dir, `${name}.pem`);
    fs.writeFileSync(f, pem, { mode: 0o600 });
    return [name, f] as const;
  });
  const argv = args.map((a) => files.find(([n]) => `{${n}}` === a)?.[1] ?? a);
  const r = run("openssl", argv);
  for (const [, f] of files) fs.rmSync(f);
  if (r.code !== 0) return `exit ${r.code}: ${r.stderr.trim()}`;
  return r.stdout.trim();
}

const up = (rotation: number): Outputs => {
  pulumi("config", "set", "rotation", String(rotation), "--stack", "t");
  pulumi("up", "--yes", "--skip-preview", "--stack", "t");
  return JSON.parse(
    pulumi("stack", "output", "--json", "--show-secrets", "--stack", "t"),
  ) as Outputs;
};

const verifies = (ca: string, cert: string) =>
  openssl(["verify", "-purpose", "sslserver", "-CAfile", "{ca}", "{cert}"], { ca, cert });

function httpsGet(port: number, auth: string, ca: string) {
  return new Promise<number>((resolve, reject) => {
    https
      .get({ host: "127.0.0.1", port, path: "/api/overview", auth, ca, timeout: 10_000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on("error", reject);
  });
}

describe("generated cluster certificates through the real engine and the tls provider", () => {
  let first: Outputs;

  before(() => {
    jsProject(dir, "warren-certs", PROGRAM);
    pulumi("stack", "init", "t");
    first = up(0);
  });
  after(() => {
    run("pulumi", ["destroy", "--yes", "--skip-preview", "--stack", "t", "--non-interactive"]);
  });

  it("signs every node's certificate with the CA, for TLS servers and clients", () => {
    assert.deepEqual(
      first.nodes.map((n) => n.id),
      NODES,
    );
    for (const n of first.nodes) {
      assert.equal(verifies(first.ca, n.cert), `${path.join(dir, "cert.pem")}: OK`);
      assert.match(
        openssl(["x509", "-noout", "-ext", "extendedKeyUsage", "-in", "{c}"], { c: n.cert }),
        /TLS Web Server Authentication, TLS Web Client Authentication/,
      );
    }
    assert.match(
      openssl(["x509", "-noout", "-ext", "basicConstraints", "-in", "{c}"], { c: first.ca }),
      /CA:TRUE/,
    );
  });

  it("names each node by its hostname, localhost and 127.0.0.1, and no other node", () => {
    first.nodes.forEach((n, i) => {
      const sans = openssl(["x509", "-noout", "-ext", "subjectAltName", "-in", "{c}"], {
        c: n.cert,
      });
      assert.equal(
        sans.split("\n").slice(1).join(" ").trim(),
        `DNS:${NODES[i]}, DNS:localhost, IP Address:127.0.0.1`,
      );
      assert.match(
        openssl(["x509", "-noout", "-subject", "-in", "{c}"], { c: n.cert }),
        new RegExp(`CN ?= ?${NODES[i]}`),
      );
    });
  });

  it("gives each node its own key, the one its certificate holds", () => {
    const pub = (args: string[], pem: string) => openssl([...args, "{p}"], { p: pem });
    const keys = first.nodes.map((n) => pub(["pkey", "-pubout", "-in"], n.key));
    first.nodes.forEach((n, i) =>
      assert.equal(pub(["x509", "-noout", "-pubkey", "-in"], n.cert), keys[i]),
    );
    assert.notEqual(keys[0], keys[1]);
    assert.match(keys[0], /^-----BEGIN PUBLIC KEY-----/);
  });

  it("makes node certificates live 365 days and the CA 3650", () => {
    const days = (pem: string) => {
      const [start, end] = openssl(["x509", "-noout", "-startdate", "-enddate", "-in", "{c}"], {
        c: pem,
      })
        .split("\n")
        .map((l) => Date.parse(l.split("=")[1]));
      return Math.round((end - start) / 86_400_000);
    };
    assert.deepEqual([days(first.nodes[0].cert), days(first.ca)], [365, 3650]);
  });

  it("keeps no private key in plaintext in the state", () => {
    const exported = pulumi("stack", "export", "--stack", "t");
    assert.ok(exported.includes("CERTIFICATE"), "the certificates are in the state");
    assert.ok(!exported.includes("PRIVATE KEY"), "a private key is in the state in plaintext");
    for (const n of first.nodes) assert.ok(!exported.includes(n.key.split("\n")[1]));
  });

  it("serves AMQP and the management API of a real node to a client that trusts the CA", async () => {
    ensureRabbitInstalled();
    const node = first.nodes[0];
    const cluster = tlsNode("rabbit-certs@localhost", {
      ca: first.ca,
      cert: node.cert,
      key: node.key,
    });
    try {
      await cluster.start();
      const p = cluster.nodes[0].ports;
      const user = `${encodeURIComponent(cluster.adminUser)}:${encodeURIComponent(cluster.adminPassword)}`;
      const conn = await amqp.connect(`amqps://${user}@127.0.0.1:${p.amqps}`, { ca: [first.ca] });
      await conn.close();
      const auth = `${cluster.adminUser}:${cluster.adminPassword}`;
      assert.equal(await httpsGet(p.managementTls, auth, first.ca), 200);
      // Through the name a local client uses, too.
      const byName = await amqp.connect(`amqps://${user}@localhost:${p.amqps}`, { ca: [first.ca] });
      await byName.close();
    } finally {
      await cluster.destroy();
    }
  });

  it("replaces the CA and every key and certificate on a rotation bump", () => {
    const second = up(1);
    assert.notEqual(second.ca, first.ca);
    for (const [i, n] of second.nodes.entries()) {
      assert.equal(verifies(second.ca, n.cert), `${path.join(dir, "cert.pem")}: OK`);
      assert.match(verifies(first.ca, n.cert), /^exit 2:/);
      assert.notEqual(n.key, first.nodes[i].key);
    }
    const state = JSON.parse(pulumi("stack", "export", "--stack", "t")) as {
      deployment: { resources: { urn: string; type: string }[] };
    };
    const tlsNames = state.deployment.resources
      .filter((r) => r.type.startsWith("tls:"))
      .map((r) => r.urn.split("::").pop()!);
    assert.equal(tlsNames.length, 2 + 3 * NODES.length);
    assert.deepEqual(
      tlsNames.filter((n) => !n.endsWith("-r1")),
      [],
    );
  });
});
