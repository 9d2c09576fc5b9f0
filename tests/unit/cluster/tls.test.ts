// `warren:cluster.tls` in the rendered rabbitmq.conf: the listeners each setting opens and closes,
// the TLS files every listener uses, and the rule that takes TLS only where a runtime installs
// the certificate files (generate on Docker). Booting a node with these files is tests/integration/cluster-tls.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ClusterRuntime,
  clusterSchema,
  renderRabbitmqConf,
  tlsPaths,
  validateCluster,
} from "../../../components/cluster";

const runtime: ClusterRuntime = { kind: "docker", nodes: ["rabbit-1"] };
const spec = (tls?: object) => clusterSchema.parse({ replicas: 1, ...(tls ? { tls } : {}) });

/** The lines of rabbitmq.conf's listener section. */
const listeners = (conf: string) => {
  const lines = conf.split("\n");
  const start = lines.indexOf("## Listeners");
  return lines.slice(start + 1, lines.indexOf("", start));
};

const options = (prefix: string) => [
  `${prefix}.cacertfile = /etc/rabbitmq/tls/ca.crt`,
  `${prefix}.certfile = /etc/rabbitmq/tls/tls.crt`,
  `${prefix}.keyfile = /etc/rabbitmq/tls/tls.key`,
  `${prefix}.verify = verify_peer`,
  `${prefix}.fail_if_no_peer_cert = false`,
  `${prefix}.versions.1 = tlsv1.3`,
  `${prefix}.versions.2 = tlsv1.2`,
];

describe("warren:cluster.tls in rabbitmq.conf", () => {
  it("is off by default: plaintext listeners only", () => {
    assert.deepEqual(spec().tls, {
      mode: "off",
      disablePlaintext: true,
      validityDays: 365,
      rotation: 0,
    });
    assert.deepEqual(listeners(renderRabbitmqConf(spec(), runtime)), [
      "listeners.tcp.default = 5672",
      "management.tcp.port = 15672",
      "prometheus.tcp.port = 15692",
    ]);
  });

  it("on: TLS listeners for AMQP and management, the plaintext ones closed", () => {
    assert.deepEqual(listeners(renderRabbitmqConf(spec({ mode: "generate" }), runtime)), [
      "listeners.tcp = none",
      "listeners.ssl.default = 5671",
      ...options("ssl_options"),
      "management.ssl.port = 15671",
      ...options("management.ssl"),
      "prometheus.tcp.port = 15692",
    ]);
  });

  it("on with disablePlaintext false: both, each bound to the node's address", () => {
    const conf = renderRabbitmqConf(spec({ mode: "secret", disablePlaintext: false }), runtime, {
      nodeName: "rabbit@rabbit-1",
      bindAddress: "127.0.0.1",
      ports: { amqp: 1, management: 2, prometheus: 3, distribution: 4, amqps: 5, managementTls: 6 },
      configDir: "/tmp/n1",
    });
    const files = tlsPaths({ configDir: "/tmp/n1" });
    assert.deepEqual(files, {
      ca: "/tmp/n1/tls/ca.crt",
      cert: "/tmp/n1/tls/tls.crt",
      key: "/tmp/n1/tls/tls.key",
    });
    const at = (prefix: string) =>
      options(prefix).map((l) => l.replace("/etc/rabbitmq/tls", "/tmp/n1/tls"));
    assert.deepEqual(listeners(conf), [
      "listeners.tcp.default = 127.0.0.1:1",
      "listeners.ssl.default = 127.0.0.1:5",
      ...at("ssl_options"),
      "management.tcp.ip = 127.0.0.1",
      "management.tcp.port = 2",
      "management.ssl.ip = 127.0.0.1",
      "management.ssl.port = 6",
      ...at("management.ssl"),
      "prometheus.tcp.ip = 127.0.0.1",
      "prometheus.tcp.port = 3",
      "distribution.listener.interface = 127.0.0.1",
    ]);
  });

  it("off ignores disablePlaintext", () => {
    assert.deepEqual(
      renderRabbitmqConf(spec({ mode: "off", disablePlaintext: true }), runtime),
      renderRabbitmqConf(spec(), runtime),
    );
  });

  it("takes generate on Docker only, and secret nowhere yet", () => {
    const paths = (mode: string, runtime?: "docker" | "kubernetes") =>
      validateCluster(spec({ mode }), "dev", undefined, runtime).map((i) => [i.path, i.message]);
    assert.deepEqual(paths("generate", "docker"), []);
    for (const runtime of ["kubernetes", undefined] as const)
      assert.deepEqual(paths("generate", runtime), [
        [
          "warren:cluster.tls.mode",
          '"generate" is available on the Docker runtime only so far: the Kubernetes runtime does not install certificates on its nodes yet (issue 16); use "off"',
        ],
      ]);
    for (const runtime of ["docker", "kubernetes"] as const)
      assert.deepEqual(paths("secret", runtime), [
        [
          "warren:cluster.tls.mode",
          '"secret" is not available yet: no runtime installs certificates you bring (issue 16); use "generate" on Docker, or "off"',
        ],
      ]);
    assert.deepEqual(paths("off", "kubernetes"), []);
  });

  it("refuses unknown modes and keys, naming the path", () => {
    const r = clusterSchema.safeParse({ tls: { mode: "on", plaintext: false } });
    assert.equal(r.success, false);
    const paths = r.success ? [] : r.error.issues.map((i) => i.path.join("."));
    assert.ok(paths.includes("tls.mode"), paths.join(", "));
    assert.ok(paths.includes("tls"), paths.join(", "));
  });
});
