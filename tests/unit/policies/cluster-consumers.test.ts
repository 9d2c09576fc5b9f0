// Cluster and consumer rules: a compliant fixture passes; each change fails with the exact message.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clusterReplicas } from "../../../policies/rules/cluster-replicas";
import { clusterVolumes } from "../../../policies/rules/cluster-volumes";
import { consumerHardening } from "../../../policies/rules/consumer-hardening";
import { disruptionBudget } from "../../../policies/rules/disruption-budget";
import { memoryAndDisk } from "../../../policies/rules/memory-and-disk";
import { pagingReplicas } from "../../../policies/rules/paging-replicas";
import { workloadResources } from "../../../policies/rules/workload-resources";
import { T, res, violations } from "../../support/policy";

// The fixtures' props, as far as they set them; optional where an edit removes or blanks a field.
type Labels = Record<string, string>;
type Quantities = { cpu?: string; memory?: string };
type HttpProbe = { httpGet: { path: string; port: number } };
type ContainerProps = {
  name: string;
  image: string;
  resources: { requests?: Quantities; limits?: Quantities };
  readinessProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
};
type RabbitProps = {
  metadata: { name: string; namespace: string; labels: Labels };
  spec: {
    replicas: number;
    template: {
      metadata: { labels: Labels };
      spec: {
        containers: ContainerProps[];
        volumes: { name: string; configMap?: { name: string }; emptyDir?: object }[];
      };
    };
    volumeClaimTemplates: { metadata: { name: string } }[];
  };
};
type ConsumerProps = {
  metadata: { name: string; labels: Labels };
  spec: {
    replicas?: number;
    template: {
      spec: { securityContext: { runAsNonRoot?: boolean }; containers: ContainerProps[] };
    };
  };
};

const LABELS = { "app.kubernetes.io/name": "rabbitmq", "app.kubernetes.io/instance": "warren" };
const resources = { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } };
function rabbit(edit: (p: RabbitProps) => void = () => {}) {
  const props: RabbitProps = {
    metadata: { name: "rabbitmq", namespace: "messaging", labels: LABELS },
    spec: {
      replicas: 3,
      template: {
        metadata: { labels: LABELS },
        spec: {
          containers: [{ name: "rabbitmq", image: "rabbitmq:3.10.8", resources }],
          volumes: [{ name: "config", configMap: { name: "c" } }],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: "data" } }, { metadata: { name: "logs" } }],
    },
  };
  edit(props);
  return res(T.statefulSet, props);
}
const CONSUMER = {
  "app.kubernetes.io/name": "dispatcher",
  "app.kubernetes.io/component": "consumer",
};
function consumer(channel: string, edit: (p: ConsumerProps) => void = () => {}) {
  const props: ConsumerProps = {
    metadata: {
      name: `dispatcher-${channel}`,
      labels: { ...CONSUMER, "warren.dev/channel": channel },
    },
    spec: {
      replicas: 2,
      template: {
        spec: {
          securityContext: { runAsNonRoot: true },
          containers: [
            {
              name: "dispatcher",
              image: "warren/dispatcher:0.1.0",
              resources,
              readinessProbe: { httpGet: { path: "/readyz", port: 8080 } },
              livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
              securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
            },
          ],
        },
      },
    },
  };
  edit(props);
  return res(T.deployment, props);
}

describe("odd-cluster-replicas", () => {
  it("passes three nodes with minReplicas 3", async () => {
    assert.deepEqual(await violations(clusterReplicas, [rabbit()], { minReplicas: 3 }), []);
  });
  it("fails an even count and too few nodes", async () => {
    assert.deepEqual(
      await violations(clusterReplicas, [rabbit((p) => (p.spec.replicas = 2))], { minReplicas: 3 }),
      [
        'RabbitMQ statefulset "rabbitmq" has an even number of replicas (2)',
        'RabbitMQ statefulset "rabbitmq" has 2 replicas; at least 3 required',
      ],
    );
  });
});

describe("persistent-data-and-log-volumes", () => {
  it("passes separate data and log claims", async () => {
    assert.deepEqual(await violations(clusterVolumes, [rabbit()]), []);
  });
  it("fails a single claim and an emptyDir for logs", async () => {
    const s = rabbit((p) => {
      p.spec.volumeClaimTemplates = [{ metadata: { name: "data" } }];
      p.spec.template.spec.volumes.push({ name: "logs", emptyDir: {} });
    });
    assert.deepEqual(await violations(clusterVolumes, [s]), [
      'RabbitMQ statefulset "rabbitmq" needs separate volume claim templates for data and logs (has: data)',
      'RabbitMQ statefulset "rabbitmq" keeps "logs" on an emptyDir',
    ]);
  });
});

describe("resource-requests-and-limits", () => {
  it("passes containers with requests and limits", async () => {
    assert.deepEqual(await violations(workloadResources, [rabbit(), consumer("sms")]), []);
  });
  it("fails missing limits", async () => {
    const c = consumer(
      "sms",
      (p) =>
        (p.spec.template.spec.containers[0].resources = {
          requests: { cpu: "100m", memory: "128Mi" },
        }),
    );
    assert.deepEqual(await violations(workloadResources, [c]), [
      'container "dispatcher" of "dispatcher-sms" has no limits.cpu, limits.memory',
    ]);
  });
});

describe("cluster-disruption-budget", () => {
  const pdb = (matchLabels: object) =>
    res(T.pdb, {
      metadata: { name: "rabbitmq", namespace: "messaging" },
      spec: { maxUnavailable: 1, selector: { matchLabels } },
    });
  it("passes a budget selecting the nodes", async () => {
    assert.deepEqual(
      await violations(disruptionBudget, [rabbit(), pdb({ "app.kubernetes.io/name": "rabbitmq" })]),
      [],
    );
  });
  it("fails without a matching budget", async () => {
    assert.deepEqual(
      await violations(disruptionBudget, [rabbit(), pdb({ "app.kubernetes.io/name": "other" })]),
      ['RabbitMQ statefulset "rabbitmq" has no PodDisruptionBudget'],
    );
  });
});

describe("memory-watermark-and-disk-limit", () => {
  const conf = "vm_memory_high_watermark.relative = 0.6\ndisk_free_limit.absolute = 2GB\n";
  it("passes a rendered config with both limits", async () => {
    assert.deepEqual(
      await violations(memoryAndDisk, [
        res(T.configMap, { metadata: { name: "rabbitmq" }, data: { "rabbitmq.conf": conf } }),
        res(T.container, {
          name: "r1",
          uploads: [{ file: "/etc/rabbitmq/rabbitmq.conf", content: conf }],
        }),
      ]),
      [],
    );
  });
  it("fails a config without them", async () => {
    assert.deepEqual(
      await violations(memoryAndDisk, [
        res(T.container, {
          name: "r1",
          uploads: [{ file: "/etc/rabbitmq/rabbitmq.conf", content: "listeners.tcp.1 = 5672\n" }],
        }),
      ]),
      [
        'container "r1": rabbitmq.conf sets no vm_memory_high_watermark',
        'container "r1": rabbitmq.conf sets no disk_free_limit',
      ],
    );
  });
});

describe("consumer-hardening", () => {
  it("passes the restricted consumer", async () => {
    assert.deepEqual(await violations(consumerHardening, [consumer("sms")]), []);
  });
  it("fails missing probes and a permissive security context", async () => {
    const c = consumer("sms", (p) => {
      const ctr = p.spec.template.spec.containers[0];
      delete ctr.readinessProbe;
      ctr.securityContext = { readOnlyRootFilesystem: false };
      p.spec.template.spec.securityContext = {};
    });
    assert.deepEqual(await violations(consumerHardening, [c]), [
      'container "dispatcher" of consumer "dispatcher-sms" has no readiness probe',
      'container "dispatcher" of consumer "dispatcher-sms" may run as root (set runAsNonRoot: true)',
      'container "dispatcher" of consumer "dispatcher-sms" has a writable root filesystem',
      'container "dispatcher" of consumer "dispatcher-sms" allows privilege escalation',
    ]);
  });
});

describe("paging-consumer-replicas", () => {
  it("passes two sms replicas and one email replica", async () => {
    assert.deepEqual(
      await violations(
        pagingReplicas,
        [consumer("sms"), consumer("email", (p) => (p.spec.replicas = 1))],
        { minReplicas: 2 },
      ),
      [],
    );
  });
  it("counts an autoscaler's minimum for an autoscaled consumer", async () => {
    const d = consumer("sms", (p) => delete p.spec.replicas);
    const hpa = (min: number) =>
      res(T.hpa, {
        metadata: { name: "dispatcher-sms" },
        spec: {
          scaleTargetRef: { kind: "Deployment", name: "dispatcher-sms" },
          minReplicas: min,
          maxReplicas: 6,
        },
      });
    assert.deepEqual(await violations(pagingReplicas, [d, hpa(2)], { minReplicas: 2 }), []);
    assert.deepEqual(await violations(pagingReplicas, [d, hpa(1)], { minReplicas: 2 }), [
      'consumer of channel "sms" runs 1 replica; at least 2 required',
    ]);
  });

  it("fails a single phone consumer", async () => {
    assert.deepEqual(
      await violations(pagingReplicas, [consumer("phone", (p) => (p.spec.replicas = 1))], {
        minReplicas: 2,
      }),
      ['consumer of channel "phone" runs 1 replica; at least 2 required'],
    );
  });
});
