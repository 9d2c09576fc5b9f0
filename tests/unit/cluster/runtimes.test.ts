// The cluster runtimes under Pulumi mocks, through the program: what each declares, with the
// inputs that matter (paths, claims, probes, security, services, ports, budgets, labels).
import assert from "node:assert/strict";
import * as path from "path";
import { describe, it } from "node:test";
import { RULES } from "../../../policies/rules";
import { valueOf } from "../../support/mocks";
import { evaluate, fromMocks } from "../../support/policy";
import { PROJECT_DIR, runProgram } from "../../support/program";
import { readFileSync } from "fs";

const fixture = (f: string) => path.join(PROJECT_DIR, "tests", "fixtures", f);

describe("KubernetesCluster", async () => {
  const { run, outputs } = await runProgram(fixture("kubernetes.yaml"), { stack: "k8s" });
  const one = <K extends string>(type: K) => {
    const all = run.ofType(type);
    assert.equal(all.length, 1, `${type}: ${all.length}`);
    return all[0].inputs;
  };
  const sts = one("kubernetes:apps/v1:StatefulSet");
  const pod = sts.spec.template.spec;
  const rabbit = pod.containers[0];

  it("runs an odd number of nodes in parallel, with the pinned image", () => {
    assert.equal(sts.spec.replicas, 3);
    assert.equal(sts.spec.podManagementPolicy, "Parallel");
    assert.equal(rabbit.image, "rabbitmq:3.10.8-management");
    assert.equal(sts.metadata.namespace, "messaging");
  });

  it("mounts data and logs on their own claims at the relocated paths", () => {
    assert.deepEqual(
      sts.spec.volumeClaimTemplates.map((t) => [
        t.metadata.name,
        t.spec.resources.requests.storage,
        t.spec.storageClassName ?? null,
      ]),
      [
        ["data", "20Gi", "fast-ssd"],
        ["logs", "2Gi", null],
      ],
    );
    const mounts = Object.fromEntries(rabbit.volumeMounts.map((m) => [m.name, m.mountPath]));
    assert.equal(mounts.data, "/data/rabbitmq/mnesia");
    assert.equal(mounts.logs, "/data/rabbitmq/log");
    assert.equal(mounts.config, "/etc/rabbitmq");
  });

  it("renders the node configuration once, into the ConfigMap, and keeps secrets in the Secret", () => {
    const cm = one("kubernetes:core/v1:ConfigMap");
    // Named by Pulumi: a config change then rolls the StatefulSet instead of replacing it.
    assert.equal(cm.metadata.name, undefined);
    assert.deepEqual(Object.keys(cm.data).sort(), [
      "enabled_plugins",
      "rabbitmq-env.conf",
      "rabbitmq.conf",
    ]);
    assert.match(
      cm.data["rabbitmq.conf"],
      /cluster_formation\.peer_discovery_backend = rabbit_peer_discovery_k8s/,
    );
    assert.match(cm.data["rabbitmq-env.conf"], /^MNESIA_BASE=\/data\/rabbitmq\/mnesia$/m);
    assert.match(cm.data.enabled_plugins, /rabbitmq_peer_discovery_k8s/);
    const secret = run
      .ofType("kubernetes:core/v1:Secret")
      .find((r) => r.inputs.metadata.name === "warren-secrets")!.inputs;
    // The whole stringData is a secret (mocks show Pulumi's secret envelope around it).
    assert.equal(
      secret.stringData["4dabf18193072939515e22adb298388d"],
      "1b47061264138c4ac30d75fd1eb44270",
    );
    assert.deepEqual(Object.keys(secret.stringData.value).sort(), [
      "definitions.json",
      "erlang.cookie",
    ]);
    assert.match(
      secret.stringData.value["definitions.json"],
      /"password_hash": "[A-Za-z0-9+/]{48}"/,
    );
    // No credential in any env value.
    assert.deepEqual(rabbit.env, [
      { name: "RABBITMQ_CONF_ENV_FILE", value: "/etc/rabbitmq/rabbitmq-env.conf" },
    ]);
  });

  it("probes with rabbitmq-diagnostics and waits for quorum before stopping", () => {
    assert.deepEqual(rabbit.readinessProbe.exec.command, [
      "rabbitmq-diagnostics",
      "-q",
      "check_port_connectivity",
    ]);
    // Liveness: `status` while AMQP answers; otherwise the stuck-in-boot rule (livenessScript).
    const [shell, flag, script] = rabbit.livenessProbe.exec.command;
    assert.deepEqual([shell, flag], ["bash", "-c"]);
    assert.match(script, /exec rabbitmq-diagnostics -q status/);
    assert.match(
      rabbit.lifecycle.preStop.exec.command[2],
      /^rabbitmq-upgrade await_online_quorum_plus_one -t \d+ && rabbitmq-upgrade drain$/,
    );
    assert.equal(pod.terminationGracePeriodSeconds, 604800);
  });

  it("runs as non-root with a read-only root filesystem and no privilege escalation", () => {
    assert.deepEqual(pod.securityContext.runAsNonRoot, true);
    for (const c of [...pod.initContainers, ...pod.containers])
      assert.deepEqual(c.securityContext, {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
    assert.deepEqual(rabbit.resources, {
      requests: { cpu: "1", memory: "4Gi" },
      limits: { cpu: "2", memory: "4Gi" },
    });
  });

  it("has a headless service for the nodes and a ClusterIP client service", () => {
    const services = run.ofType("kubernetes:core/v1:Service").map((s) => s.inputs);
    const headless = services.find((s) => s.spec.clusterIP === "None")!;
    assert.deepEqual(
      headless.spec.ports.map((p) => p.port),
      [4369, 25672],
    );
    assert.equal(headless.spec.publishNotReadyAddresses, true);
    const clientSvc = services.find((s) => s.spec.clusterIP !== "None")!;
    assert.equal(clientSvc.spec.type, "ClusterIP");
    assert.deepEqual(
      clientSvc.spec.ports.map((p) => `${p.name}:${p.port}`),
      ["amqp:5672", "management:15672", "prometheus:15692"],
    );
  });

  it("limits disruptions and network access", () => {
    const pdb = run
      .ofType("kubernetes:policy/v1:PodDisruptionBudget")
      .find((p) => p.inputs.metadata.name === "warren")!.inputs;
    assert.equal(pdb.spec.maxUnavailable, 1);
    const np = one("kubernetes:networking.k8s.io/v1:NetworkPolicy").spec;
    assert.deepEqual(np.ingress[1], {
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "alerting" } } }],
      ports: [{ port: 5672 }],
    });
    assert.deepEqual(np.ingress[2].from, [{ ipBlock: { cidr: "10.20.0.0/16" } }]);
    const rules = one("kubernetes:rbac.authorization.k8s.io/v1:Role").rules;
    assert.deepEqual(rules[0], { apiGroups: [""], resources: ["endpoints"], verbs: ["get"] });
  });

  it("labels everything it creates", () => {
    for (const r of run.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
      const { metadata } = r.inputs as { metadata?: { labels?: Record<string, string> } };
      assert.equal(metadata?.labels?.["app.kubernetes.io/part-of"], "warren", r.name);
    }
  });

  it("wires the topology to the configured management URL and the generated admin", async () => {
    const [v] = run.ofType("pulumi-nodejs:dynamic/warren:VhostObjects");
    const { connection } = v.inputs as unknown as {
      connection: { value: { url: string; username: string } };
    };
    assert.equal(connection.value.url, "http://127.0.0.1:15672");
    assert.equal(connection.value.username, "warren-admin");
    assert.deepEqual(await valueOf(outputs.nodes), [
      "rabbit@warren-0.warren-nodes.messaging",
      "rabbit@warren-1.warren-nodes.messaging",
      "rabbit@warren-2.warren-nodes.messaging",
    ]);
  });

  it("deploys one hardened dispatcher per configured channel, secrets as mounted files", () => {
    const deployments = run.ofType("kubernetes:apps/v1:Deployment").map((d) => d.inputs);
    assert.deepEqual(
      deployments
        .map((d) => [d.metadata.name, d.metadata.namespace, d.spec.replicas ?? "autoscaled"])
        .sort(),
      [
        ["dispatcher-email", "alerting", 1],
        ["dispatcher-phone", "alerting", 2],
        ["dispatcher-sms", "alerting", "autoscaled"],
      ],
    );
    const sms = deployments.find((d) => d.metadata.name === "dispatcher-sms")!;
    const ctr = sms.spec.template.spec.containers[0];
    assert.equal(ctr.image, "warren/dispatcher:0.1.0");
    assert.deepEqual(ctr.readinessProbe.httpGet, { path: "/readyz", port: "http" });
    assert.deepEqual(ctr.livenessProbe.httpGet, { path: "/healthz", port: "http" });
    assert.deepEqual(ctr.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    assert.equal(sms.spec.template.spec.securityContext.runAsNonRoot, true);
    const env = Object.fromEntries(ctr.env.map((e) => [e.name, e.value]));
    assert.equal(env.WARREN_PREFETCH, "20");
    assert.equal(env.WARREN_CONCURRENCY, "4");
    assert.equal(env.WARREN_AMQP_URL_FILE, "/run/secrets/warren/amqp-url");
    for (const d of deployments)
      for (const e of d.spec.template.spec.containers[0].env)
        assert.doesNotMatch(
          `${e.name}=${e.value}`,
          /test-secret-value|amqp:\/\/|PASSWORD=|TOKEN=/,
          e.name,
        );
    const secret = run
      .ofType("kubernetes:core/v1:Secret")
      .find((r) => r.inputs.metadata.name === "dispatcher-sms")!.inputs;
    assert.equal(
      secret.stringData["4dabf18193072939515e22adb298388d"],
      "1b47061264138c4ac30d75fd1eb44270",
    );
    assert.deepEqual(Object.keys(secret.stringData.value).sort(), [
      "amqp-url",
      "gateway-token",
      "gateway-url",
    ]);
    assert.equal(
      secret.stringData.value["amqp-url"],
      "amqp://alerts-consumer-sms:generated-warren%3Apassword%3Aalerts-consumer-sms@warren.messaging.svc:5672/alerting",
    );
  });

  it("autoscales sms and keeps a disruption budget for channels with several replicas", () => {
    const hpa = one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
    assert.deepEqual(
      [hpa.metadata.name, hpa.spec.minReplicas, hpa.spec.maxReplicas],
      ["dispatcher-sms", 2, 6],
    );
    const pdbs = run
      .ofType("kubernetes:policy/v1:PodDisruptionBudget")
      .map((p) => p.inputs.metadata.name)
      .sort();
    assert.deepEqual(pdbs, ["dispatcher-phone", "dispatcher-sms", "warren"]);
  });

  it("passes every mandatory prod rule of the policy pack", async () => {
    const prod = JSON.parse(
      readFileSync(path.join(PROJECT_DIR, "policies", "prod.json"), "utf8"),
    ) as Record<string, unknown>;
    const found = (await evaluate(RULES, fromMocks(run.resources), prod)).filter(
      (f) => f.level === "mandatory",
    );
    assert.deepEqual(found, []);
  });
});
