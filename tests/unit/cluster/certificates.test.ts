// The certificate plan of `warren:cluster.tls: {mode: generate}`: which names each node's
// certificate carries on Docker and on Kubernetes, lifetimes and renewal, and the rotation
// generation. The certificates themselves, made by the real tls provider and used by a real node,
// are tests/integration/cluster-certificates.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  certificatePlan,
  dockerCertificateNames,
  kubernetesCertificateNames,
} from "../../../components/cluster/certificates";
import { clusterSchema } from "../../../components/cluster";

const tlsSpec = (tls: object = {}) =>
  clusterSchema.parse({ replicas: 3, tls: { mode: "generate", ...tls } }).tls;

describe("certificatePlan", () => {
  it("gives each Docker node its hostname, localhost and 127.0.0.1 (the published ports)", () => {
    const plan = certificatePlan(
      "dev",
      tlsSpec(),
      dockerCertificateNames(["warren-dev-rabbit-1", "warren-dev-rabbit-2"]),
    );
    assert.deepEqual(
      plan.nodes.map((n) => [n.id, n.commonName, n.dnsNames, n.ipAddresses]),
      [
        [
          "warren-dev-rabbit-1",
          "warren-dev-rabbit-1",
          ["warren-dev-rabbit-1", "localhost"],
          ["127.0.0.1"],
        ],
        [
          "warren-dev-rabbit-2",
          "warren-dev-rabbit-2",
          ["warren-dev-rabbit-2", "localhost"],
          ["127.0.0.1"],
        ],
      ],
    );
  });

  it("gives each Kubernetes pod its names under the headless service and the client Service's", () => {
    const names = kubernetesCertificateNames({
      statefulSet: "rabbitmq",
      headless: "rabbitmq-nodes",
      clientService: "rabbitmq",
      namespace: "warren",
      replicas: 3,
    });
    const plan = certificatePlan("prod", tlsSpec(), names);
    assert.deepEqual(
      plan.nodes.map((n) => n.id),
      ["rabbitmq-0", "rabbitmq-1", "rabbitmq-2"],
    );
    assert.deepEqual(plan.nodes[1].dnsNames, [
      "rabbitmq-1.rabbitmq-nodes.warren.svc.cluster.local",
      "rabbitmq-1.rabbitmq-nodes.warren.svc",
      "rabbitmq-1.rabbitmq-nodes.warren",
      "rabbitmq-1.rabbitmq-nodes",
      "rabbitmq.warren.svc.cluster.local",
      "rabbitmq.warren.svc",
      "rabbitmq.warren",
      "rabbitmq",
      "localhost",
    ]);
    assert.equal(plan.nodes[1].commonName, "rabbitmq-1.rabbitmq-nodes.warren.svc.cluster.local");
    // No certificate names another pod.
    assert.ok(!plan.nodes[1].dnsNames.some((d) => /rabbitmq-[02]\./.test(d)));
  });

  it("makes node certificates live validityDays, renewed in their last 30 days, the CA 10× as long", () => {
    const names = dockerCertificateNames(["n1"]);
    const year = certificatePlan("dev", tlsSpec(), names);
    assert.deepEqual(
      [year.nodes[0].validityHours, year.nodes[0].earlyRenewalHours, year.ca.validityHours],
      [365 * 24, 30 * 24, 3650 * 24],
    );
    // A short lifetime: renewed in its last third; the CA still lives at least 5 years.
    const short = certificatePlan("dev", tlsSpec({ validityDays: 30 }), names);
    assert.deepEqual(
      [short.nodes[0].validityHours, short.nodes[0].earlyRenewalHours, short.ca.validityHours],
      [30 * 24, 10 * 24, 5 * 365 * 24],
    );
  });

  it("carries the rotation in the generation and the CA's name", () => {
    const names = dockerCertificateNames(["n1"]);
    assert.deepEqual(
      [0, 3].map((rotation) => {
        const p = certificatePlan("dev", tlsSpec({ rotation }), names);
        return [p.generation, p.ca.commonName];
      }),
      [
        [0, "warren dev CA (rotation 0)"],
        [3, "warren dev CA (rotation 3)"],
      ],
    );
  });

  it("refuses lifetimes outside 7..825 days and negative rotations", () => {
    for (const tls of [{ validityDays: 6 }, { validityDays: 826 }, { rotation: -1 }])
      assert.equal(clusterSchema.safeParse({ tls: { mode: "generate", ...tls } }).success, false);
  });
});
