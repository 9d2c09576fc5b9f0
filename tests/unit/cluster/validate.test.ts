// warren:cluster: its defaults, then one test per rule (schema or validateCluster), each with
// the exact path-addressed message.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clusterSchema } from "../../../components/cluster";
import { clusterIssues, errorsOf } from "../../support/config";

/**
 * The schema's messages for a config, addressed the same way; of a union (watermark, disk
 * limit), the branch that got furthest, as components/config reports it.
 */
function schemaErrorsOf(config: unknown): string[] {
  const r = clusterSchema.safeParse(config);
  if (r.success) return [];
  return r.error.issues.map((issue) => {
    const i =
      issue.code === "invalid_union"
        ? (issue.unionErrors.flatMap((e) => e.issues).find((u) => u.code !== "invalid_type") ??
          issue)
        : issue;
    return `warren:cluster${i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("")}: ${i.message}`;
  });
}

describe("warren:cluster defaults", () => {
  it("fill in a complete spec from nothing", () => {
    assert.deepEqual(clusterSchema.parse({}), {
      replicas: 3,
      image: "rabbitmq:3.10.8-management",
      dataDir: "/data/rabbitmq/mnesia",
      logDir: "/data/rabbitmq/log",
      plugins: [],
      memoryHighWatermark: 0.6,
      diskFreeLimit: 1.5,
      netTicktime: 15,
      storage: { data: { size: "10Gi" }, logs: { size: "2Gi" } },
      resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "2", memory: "2Gi" } },
      management: { allowedCidrs: [] },
      amqp: {},
      exposure: "ClusterIP",
      tls: { mode: "off", disablePlaintext: true, validityDays: 365, rotation: 0 },
    });
  });

  it("are valid in prod", () => {
    assert.deepEqual(errorsOf({}, clusterIssues("prod")), []);
  });

  it("request as much memory as the limit unless told otherwise", () => {
    assert.deepEqual(clusterSchema.parse({ resources: { limits: { memory: "1Gi" } } }).resources, {
      requests: { cpu: "1", memory: "1Gi" },
      limits: { cpu: "2", memory: "1Gi" },
    });
  });
});

describe("warren:cluster schema", () => {
  it("refuses the latest tag, untagged images and malformed digests", () => {
    assert.deepEqual(schemaErrorsOf({ image: "rabbitmq:latest" }), [
      'warren:cluster.image: must be pinned to a version tag or a digest, e.g. "rabbitmq:3.10.8-management": "rabbitmq:latest" uses the moving tag "latest"',
    ]);
    assert.deepEqual(schemaErrorsOf({ image: "registry.local:5000/rabbitmq" }), [
      'warren:cluster.image: must be pinned to a version tag or a digest, e.g. "rabbitmq:3.10.8-management": "registry.local:5000/rabbitmq" has no tag (Docker would pull "latest")',
    ]);
    assert.deepEqual(schemaErrorsOf({ image: "rabbitmq@sha256:abc" }), [
      'warren:cluster.image: must be pinned to a version tag or a digest, e.g. "rabbitmq:3.10.8-management": "rabbitmq@sha256:abc" has a malformed digest',
    ]);
  });

  it("accepts a pinned tag behind a registry port, and a digest", () => {
    assert.deepEqual(schemaErrorsOf({ image: "registry.local:5000/rabbitmq:3.10.8" }), []);
    assert.deepEqual(schemaErrorsOf({ image: `rabbitmq@sha256:${"ab".repeat(32)}` }), []);
  });

  it("refuses unknown keys", () => {
    const r = clusterSchema.safeParse({ replica: 3, storage: { data: { sizee: "1Gi" } } });
    assert.equal(r.success, false);
    assert.deepEqual(
      r.error.issues.map((i) => [i.path.join("."), i.code, "keys" in i ? i.keys : []]),
      [
        ["storage.data", "unrecognized_keys", ["sizee"]],
        ["", "unrecognized_keys", ["replica"]],
      ],
    );
  });

  it("refuses a relative memory watermark outside (0, 1) and an absolute one RabbitMQ cannot parse", () => {
    assert.deepEqual(schemaErrorsOf({ memoryHighWatermark: 1.2 }), [
      "warren:cluster.memoryHighWatermark: Number must be less than 1",
    ]);
    assert.deepEqual(schemaErrorsOf({ memoryHighWatermark: "2TB" }), [
      'warren:cluster.memoryHighWatermark: must be a number of bytes with an optional unit k, kiB, kB, M, MiB, MB, G, GiB or GB, e.g. "2GB"',
    ]);
  });
});

describe("warren:cluster rules", () => {
  it("refuses an even replica count", () => {
    assert.deepEqual(errorsOf({ replicas: 4 }, clusterIssues()), [
      "warren:cluster.replicas: must be odd, so that pause_minority leaves a majority running on one side of a partition, got 4",
    ]);
  });

  it("refuses fewer than 3 replicas in prod, and allows a single node in dev", () => {
    assert.deepEqual(errorsOf({ replicas: 1 }, clusterIssues("prod")), [
      "warren:cluster.replicas: must be at least 3 in prod, so that quorum queues with 3 replicas survive losing a node, got 1",
    ]);
    assert.deepEqual(errorsOf({ replicas: 1 }, clusterIssues("dev")), []);
  });

  it("refuses a storage size that is not a Kubernetes quantity", () => {
    assert.deepEqual(
      errorsOf({ storage: { data: { size: "10GB" }, logs: { size: "0" } } }, clusterIssues()),
      [
        'warren:cluster.storage.data.size: must be a Kubernetes quantity above zero, such as "10Gi", got "10GB"',
        'warren:cluster.storage.logs.size: must be a Kubernetes quantity above zero, such as "2Gi", got "0"',
      ],
    );
  });

  it("refuses a logs volume too small for the rotated log files", () => {
    assert.deepEqual(errorsOf({ storage: { logs: { size: "256Mi" } } }, clusterIssues()), [
      'warren:cluster.storage.logs.size: must be at least "512Mi": the node keeps up to 6 log files of 50 MiB (rabbitmq.conf rotates them), got "256Mi"',
    ]);
  });

  it("refuses resources that are not Kubernetes quantities", () => {
    assert.deepEqual(
      errorsOf(
        { resources: { requests: { cpu: "one" }, limits: { cpu: "2 cores" } } },
        clusterIssues(),
      ),
      [
        'warren:cluster.resources.requests.cpu: must be a Kubernetes quantity above zero, such as "500m", got "one"',
        'warren:cluster.resources.limits.cpu: must be a Kubernetes quantity above zero, such as "2", got "2 cores"',
      ],
    );
  });

  it("refuses a request above its limit", () => {
    assert.deepEqual(
      errorsOf(
        {
          resources: {
            requests: { cpu: "2500m", memory: "4Gi" },
            limits: { cpu: "2", memory: "2Gi" },
          },
        },
        clusterIssues(),
      ),
      [
        'warren:cluster.resources.requests.cpu: must not exceed resources.limits.cpu ("2"), got "2500m"',
        'warren:cluster.resources.requests.memory: must not exceed resources.limits.memory ("2Gi"), got "4Gi"',
      ],
    );
  });

  it("refuses an unknown plugin, suggesting the close one", () => {
    assert.deepEqual(
      errorsOf({ plugins: ["rabbitmq_shovel", "rabbitmq_shovl", "kafka"] }, clusterIssues()),
      [
        'warren:cluster.plugins[1]: unknown RabbitMQ 3.10 plugin "rabbitmq_shovl" (did you mean "rabbitmq_shovel"?)',
        'warren:cluster.plugins[2]: unknown RabbitMQ 3.10 plugin "kafka"',
      ],
    );
  });

  it("refuses a peer discovery plugin: the runtime chooses", () => {
    assert.deepEqual(errorsOf({ plugins: ["rabbitmq_peer_discovery_consul"] }, clusterIssues()), [
      'warren:cluster.plugins[0]: peer discovery is the runtime\'s choice (rabbitmq_peer_discovery_k8s on Kubernetes, classic_config on Docker), got "rabbitmq_peer_discovery_consul"',
    ]);
  });

  it("refuses a relative data or log path", () => {
    assert.deepEqual(errorsOf({ dataDir: "data/mnesia" }, clusterIssues()), [
      'warren:cluster.dataDir: must be an absolute path, got "data/mnesia"',
    ]);
  });

  it("refuses paths with characters RabbitMQ refuses", () => {
    assert.deepEqual(
      errorsOf({ dataDir: "/data/rabbit[1]", logDir: "/logs/{node}" }, clusterIssues()),
      [
        'warren:cluster.dataDir: must not contain any of * ? ^ ! [ ] { } (RabbitMQ refuses them in its paths), got "/data/rabbit[1]"',
        'warren:cluster.logDir: must not contain any of * ? ^ ! [ ] { } (RabbitMQ refuses them in its paths), got "/logs/{node}"',
      ],
    );
  });

  it("refuses paths the shell that sources rabbitmq-env.conf would split or expand", () => {
    assert.deepEqual(
      errorsOf({ dataDir: "/data/rabbit mq", logDir: "/logs/$NODE" }, clusterIssues()),
      [
        'warren:cluster.dataDir: may contain only letters, digits and . _ - / @ % + = : , (it is written into rabbitmq-env.conf, a shell script), got "/data/rabbit mq"',
        'warren:cluster.logDir: may contain only letters, digits and . _ - / @ % + = : , (it is written into rabbitmq-env.conf, a shell script), got "/logs/$NODE"',
      ],
    );
  });

  it("refuses the same folder for data and logs", () => {
    assert.deepEqual(
      errorsOf({ dataDir: "/data/rabbitmq", logDir: "/data/rabbitmq/" }, clusterIssues()),
      [
        'warren:cluster.logDir: must differ from dataDir ("/data/rabbitmq"): each is the mount point of its own volume',
      ],
    );
  });

  it("refuses to shrink a persistent volume, and allows growing or renaming the same size", () => {
    const previous = { storage: { data: { size: "20Gi" }, logs: { size: "2Gi" } } };
    assert.deepEqual(
      errorsOf(
        { storage: { data: { size: "10Gi" }, logs: { size: "2048Mi" } } },
        clusterIssues("dev", previous),
      ),
      [
        'warren:cluster.storage.data.size: cannot shrink from "20Gi" to "10Gi": Kubernetes only grows persistent volume claims',
      ],
    );
    assert.deepEqual(
      errorsOf(
        { storage: { data: { size: "30Gi" }, logs: { size: "2048Mi" } } },
        clusterIssues("dev", previous),
      ),
      [],
    );
  });

  it("refuses an absolute memory watermark at or above the memory limit", () => {
    assert.deepEqual(errorsOf({ memoryHighWatermark: "3GB" }, clusterIssues()), [
      'warren:cluster.memoryHighWatermark: must be below resources.limits.memory ("2Gi"), got "3GB" (3000000000 bytes): the container would be killed before RabbitMQ blocks publishers',
    ]);
  });

  it("refuses a disk free limit the data volume cannot leave free", () => {
    assert.deepEqual(
      errorsOf({ diskFreeLimit: 2, resources: { limits: { memory: "8Gi" } } }, clusterIssues()),
      [
        'warren:cluster.diskFreeLimit: must be below storage.data.size ("10Gi"): 2 × resources.limits.memory ("8Gi") is 17179869184 bytes, so the node would block every publisher from the start',
      ],
    );
    assert.deepEqual(errorsOf({ diskFreeLimit: "20GB" }, clusterIssues()), [
      'warren:cluster.diskFreeLimit: must be below storage.data.size ("10Gi"): "20GB" is 20000000000 bytes, so the node would block every publisher from the start',
    ]);
  });

  it("refuses a management client network that is not a CIDR", () => {
    assert.deepEqual(
      errorsOf(
        { management: { allowedCidrs: ["10.0.0.0/8", "fd00::/8", "10.0.0.1", "10.0.0.0/33"] } },
        clusterIssues(),
      ),
      [
        'warren:cluster.management.allowedCidrs[2]: must be a CIDR such as "10.0.0.0/8", got "10.0.0.1"',
        'warren:cluster.management.allowedCidrs[3]: must be a CIDR such as "10.0.0.0/8", got "10.0.0.0/33"',
      ],
    );
  });

  it("refuses namespaces Kubernetes would refuse", () => {
    assert.deepEqual(
      errorsOf(
        { namespace: "RabbitMQ", amqp: { consumerNamespace: "alerting-" } },
        clusterIssues(),
      ),
      [
        'warren:cluster.amqp.consumerNamespace: must be a Kubernetes namespace name (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters), got "alerting-"',
        'warren:cluster.namespace: must be a Kubernetes namespace name (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters), got "RabbitMQ"',
      ],
    );
  });
});
