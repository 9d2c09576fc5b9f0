// Security rules: a compliant fixture passes; each change fails with the exact message.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderRabbitmqConf } from "../../../components/cluster/render";
import { clusterSchema } from "../../../components/cluster/schema";
import { administratorTag } from "../../../policies/rules/administrator-tag";
import { brokerTls, listenersOf } from "../../../policies/rules/broker-tls";
import { leastPrivilege } from "../../../policies/rules/least-privilege";
import { noExposureWithoutTls } from "../../../policies/rules/no-exposure-without-tls";
import { noGuestUser } from "../../../policies/rules/no-guest-user";
import { pinnedImages } from "../../../policies/rules/pinned-images";
import { producerTopicPermissions } from "../../../policies/rules/producer-topic-permissions";
import { secretsFromSecrets } from "../../../policies/rules/secrets-from-secrets";
import { T, res, violations } from "../../support/policy";

const perms = (user: string, p: { configure?: string; write?: string; read?: string } = {}) =>
  res(T.permissions, {
    user,
    vhost: "alerting",
    permissions: { configure: "^$", write: "^$", read: "^$", ...p },
  });

describe("no-guest-user", () => {
  it("passes named users with generated passwords", async () => {
    assert.deepEqual(
      await violations(noGuestUser, [
        res(T.user, { name: "alerts-producer", password: "Zr8v0Qm2" }),
      ]),
      [],
    );
  });
  it("fails the guest user and default passwords", async () => {
    assert.deepEqual(
      await violations(noGuestUser, [res(T.user, { name: "guest", password: "x" })]),
      ['user "guest" must not exist (default credentials)'],
    );
    assert.deepEqual(
      await violations(noGuestUser, [res(T.user, { name: "ops", password: "ops" })]),
      ['user "ops" has a default or guessable password'],
    );
    assert.deepEqual(
      await violations(noGuestUser, [res(T.user, { name: "ops", password: "ChangeMe" })]),
      ['user "ops" has a default or guessable password'],
    );
  });
});

describe("administrator-tag-admin-only", () => {
  it("passes the configured admin", async () => {
    assert.deepEqual(
      await violations(administratorTag, [res(T.user, { name: "root", tags: ["administrator"] })], {
        adminUsers: ["root"],
      }),
      [],
    );
  });
  it("fails any other administrator", async () => {
    assert.deepEqual(
      await violations(administratorTag, [
        res(T.user, { name: "app", tags: ["monitoring", "administrator"] }),
      ]),
      ['user "app" has the administrator tag but is not one of the admin users (none)'],
    );
  });
});

describe("least-privilege-permissions", () => {
  it("passes the alerting platform's permissions", async () => {
    const ok = [
      perms("alerts-producer", { write: "^alerts$" }),
      perms("alerts-consumer-sms", {
        write: "^(alerts\\.retry|alerts\\.parked)$",
        read: "^alerts\\.sms$",
      }),
    ];
    assert.deepEqual(await violations(leastPrivilege, ok), []);
  });
  it("fails configure .* and unanchored patterns", async () => {
    assert.deepEqual(
      await violations(leastPrivilege, [perms("app", { configure: ".*", read: "alerts.sms" })]),
      [
        'user "app" in vhost "alerting" may configure everything (".*")',
        'user "app" in vhost "alerting": configure pattern ".*" is not anchored (^...$)',
        'user "app" in vhost "alerting": read pattern "alerts.sms" is not anchored (^...$)',
      ],
    );
  });
  it("fails a consumer that may write to the alerts exchange", async () => {
    assert.deepEqual(
      await violations(leastPrivilege, [
        perms("alerts-consumer-sms", { write: "^alerts(\\..*)?$" }),
      ]),
      [
        'user "alerts-consumer-sms" in vhost "alerting" is a consumer but may write to the alerts exchange "alerts"',
      ],
    );
  });
  it("fails a producer that may read", async () => {
    assert.deepEqual(
      await violations(leastPrivilege, [
        perms("alerts-producer", { write: "^alerts$", read: "^alerts\\.sms$" }),
      ]),
      [
        'user "alerts-producer" in vhost "alerting" is a producer but may read ("^alerts\\\\.sms$"); use "^$"',
      ],
    );
  });
  it("leaves the configured admin users alone", async () => {
    assert.deepEqual(
      await violations(leastPrivilege, [perms("root", { configure: ".*" })], {
        adminUsers: ["root"],
      }),
      [],
    );
  });
});

describe("topic-permissions-for-producers", () => {
  const stack = () => [
    res(T.exchange, {
      name: "alerts",
      vhost: "alerting",
      settings: { type: "topic", durable: true },
    }),
    perms("alerts-producer", { write: "^alerts$" }),
    res(T.topicPermissions, {
      user: "alerts-producer",
      vhost: "alerting",
      permissions: [{ exchange: "alerts", write: "^info\\.all$", read: "^$" }],
    }),
  ];
  it("passes a producer limited on the topic exchange", async () => {
    assert.deepEqual(await violations(producerTopicPermissions, stack()), []);
  });
  it("fails a producer without topic permissions", async () => {
    assert.deepEqual(await violations(producerTopicPermissions, stack().slice(0, 2)), [
      'producer "alerts-producer" may write to topic exchange "alerts" in vhost "alerting" without topic permissions',
    ]);
  });
});

describe("no-exposure-without-tls", () => {
  const svc = (type: string, ports: object[], extra: object = {}) =>
    res(T.service, { metadata: { name: "rabbitmq" }, spec: { type, ports, ...extra } });
  it("passes ClusterIP services, TLS with an allowlist, and loopback-published containers", async () => {
    assert.deepEqual(
      await violations(noExposureWithoutTls, [
        svc("ClusterIP", [{ port: 5672 }, { port: 15672 }]),
        svc("LoadBalancer", [{ port: 5671 }], { loadBalancerSourceRanges: ["10.0.0.0/8"] }),
        res(T.container, {
          name: "rabbit-1",
          ports: [{ internal: 15672, external: 15672, ip: "127.0.0.1" }],
        }),
      ]),
      [],
    );
  });
  it("fails plain AMQP on a LoadBalancer, TLS without an allowlist, and ports published on all interfaces", async () => {
    assert.deepEqual(
      await violations(noExposureWithoutTls, [
        svc("LoadBalancer", [{ port: 5672 }]),
        svc("NodePort", [{ port: 443, targetPort: 15671 }]),
        res(T.container, { name: "rabbit-1", ports: [{ internal: 5672, external: 5672 }] }),
      ]),
      [
        'service "rabbitmq" exposes AMQP (port 5672) without TLS as LoadBalancer',
        'service "rabbitmq" exposes management (TLS) (port 15671) as NodePort without loadBalancerSourceRanges',
        'container "rabbit-1" publishes AMQP (port 5672) on 0.0.0.0; publish on 127.0.0.1 only',
      ],
    );
  });
});

describe("secrets-from-secret-store", () => {
  const sts = (env: object[]) =>
    res(T.statefulSet, {
      spec: {
        template: { spec: { containers: [{ name: "rabbitmq", image: "rabbitmq:3.10.8", env }] } },
      },
    });
  it("passes env from secretKeyRef and file-based secrets", async () => {
    assert.deepEqual(
      await violations(secretsFromSecrets, [
        sts([
          {
            name: "RABBITMQ_ERLANG_COOKIE",
            valueFrom: { secretKeyRef: { name: "c", key: "cookie" } },
          },
          { name: "LOG_LEVEL", value: "info" },
        ]),
        res(T.container, {
          name: "d",
          envs: ["WARREN_AMQP_URL_FILE=/run/secrets/amqp", "WARREN_QUEUE=alerts.sms"],
        }),
        res(T.configMap, {
          metadata: { name: "rabbitmq" },
          data: { "rabbitmq.conf": "loopback_users.guest = true\n" },
        }),
      ]),
      [],
    );
  });
  it("fails literal cookies, passwords and credentials in URLs", async () => {
    assert.deepEqual(
      await violations(secretsFromSecrets, [
        sts([{ name: "RABBITMQ_ERLANG_COOKIE", value: "abc" }]),
        res(T.container, { name: "d", envs: ["WARREN_AMQP_URL=amqp://u:p@rabbit:5672/alerting"] }),
        res(T.configMap, {
          metadata: { name: "rabbitmq" },
          data: { "rabbitmq.conf": "default_pass = hunter2\n" },
        }),
      ]),
      [
        'container "rabbitmq" sets RABBITMQ_ERLANG_COOKIE to a literal value; take it from a Secret',
        'container "d" sets WARREN_AMQP_URL in its environment; mount it as a file instead',
        'configmap "rabbitmq" holds credentials in "rabbitmq.conf"; use a Secret',
      ],
    );
  });
});

describe("pinned-images", () => {
  const dep = (image: string) =>
    res(T.deployment, {
      spec: { template: { spec: { containers: [{ name: "dispatcher", image }] } } },
    });
  it("passes tags and digests", async () => {
    assert.deepEqual(
      await violations(pinnedImages, [
        dep("warren/dispatcher:0.1.0"),
        dep(`registry:5000/x@sha256:${"ab".repeat(32)}`),
        res(T.remoteImage, { name: "warren/rabbitmq:3.10.8-bookworm" }),
      ]),
      [],
    );
  });
  it("fails latest and untagged images, and malformed digests", async () => {
    assert.deepEqual(
      await violations(pinnedImages, [
        dep("rabbitmq:latest"),
        dep("registry:5000/rabbitmq"),
        res(T.container, { name: "c", image: "node" }),
        dep("x@sha256:abc"),
      ]),
      [
        'container "dispatcher" uses image "rabbitmq:latest", which is not pinned: it uses the moving tag "latest"',
        'container "dispatcher" uses image "registry:5000/rabbitmq", which is not pinned: it has no tag (Docker would pull "latest")',
        'container "c" uses image "node", which is not pinned: it has no tag (Docker would pull "latest")',
        'container "dispatcher" uses image "x@sha256:abc", which is not pinned: it has a malformed digest',
      ],
    );
  });
  it("judges an image as the config schema does (one function)", async () => {
    const { imagePinIssue } = await import("../../../components/core/images");
    for (const image of [
      "rabbitmq:3.10.8",
      "x@sha256:abc",
      "r:5000/x",
      "x:latest",
      `x@sha256:${"0".repeat(64)}`,
    ])
      assert.equal(
        (await violations(pinnedImages, [dep(image)])).length,
        imagePinIssue(image) ? 1 : 0,
        image,
      );
  });
});

describe("broker-tls-only", () => {
  const conf = (tls?: object) =>
    renderRabbitmqConf(clusterSchema.parse({ replicas: 1, ...(tls ? { tls } : {}) }), {
      kind: "docker",
      nodes: ["n1"],
    });
  const node = (c: string) =>
    res(T.container, {
      name: "n1",
      uploads: [{ file: "/etc/rabbitmq/rabbitmq.conf", content: c }],
    });
  const map = (c: string) =>
    res(T.configMap, { metadata: { name: "warren-config" }, data: { "rabbitmq.conf": c } });

  it("reads the listeners a rendered rabbitmq.conf opens", () => {
    assert.deepEqual(listenersOf(conf()), { tls: [], plaintext: ["AMQP", "management over HTTP"] });
    assert.deepEqual(listenersOf(conf({ mode: "generate" })), {
      tls: ["AMQPS", "management over TLS"],
      plaintext: [],
    });
    assert.deepEqual(listenersOf(conf({ mode: "generate", disablePlaintext: false })), {
      tls: ["AMQPS", "management over TLS"],
      plaintext: ["AMQP", "management over HTTP"],
    });
  });

  it("passes TLS with plaintext off, and TLS off unless required", async () => {
    assert.deepEqual(await violations(brokerTls, [node(conf({ mode: "generate" }))]), []);
    assert.deepEqual(await violations(brokerTls, [node(conf()), map(conf())]), []);
    assert.deepEqual(
      await violations(brokerTls, [map(conf({ mode: "generate" }))], { requireTls: true }),
      [],
    );
  });

  it("fails plaintext listeners beside TLS, and TLS off where it is required", async () => {
    assert.deepEqual(
      await violations(brokerTls, [node(conf({ mode: "generate", disablePlaintext: false }))]),
      [
        'container "n1": TLS is on but AMQP and management over HTTP still listen in plaintext (warren:cluster.tls.disablePlaintext is false)',
      ],
    );
    assert.deepEqual(await violations(brokerTls, [map(conf())], { requireTls: true }), [
      'configmap "warren-config": TLS is off (warren:cluster.tls.mode is "off"); this environment requires it',
    ]);
  });
});
