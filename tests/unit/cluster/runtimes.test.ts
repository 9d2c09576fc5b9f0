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
  const { run, outputs } = await runProgram(fixture("kubernetes.yaml"), "k8s");
  const one = (type: string) => {
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
      sts.spec.volumeClaimTemplates.map((t: any) => [t.metadata.name, t.spec.resources.requests.storage, t.spec.storageClassName ?? null]), // eslint-disable-line @typescript-eslint/no-explicit-any
      [["data", "20Gi", "fast-ssd"], ["logs", "2Gi", null]],
    );
    const mounts = Object.fromEntries(rabbit.volumeMounts.map((m: { name: string; mountPath: string }) => [m.name, m.mountPath]));
    assert.equal(mounts.data, "/data/rabbitmq/mnesia");
    assert.equal(mounts.logs, "/data/rabbitmq/log");
    assert.equal(mounts.config, "/etc/rabbitmq");
  });

  it("renders the node configuration once, into the ConfigMap, and keeps secrets in the Secret", () => {
    const cm = one("kubernetes:core/v1:ConfigMap");
    assert.deepEqual(Object.keys(cm.data).sort(), ["enabled_plugins", "rabbitmq-env.conf", "rabbitmq.conf"]);
    assert.match(cm.data["rabbitmq.conf"], /cluster_formation\.peer_discovery_backend = rabbit_peer_discovery_k8s/);
    assert.match(cm.data["rabbitmq-env.conf"], /^MNESIA_BASE=\/data\/rabbitmq\/mnesia$/m);
    assert.match(cm.data.enabled_plugins, /rabbitmq_peer_discovery_k8s/);
    const secret = one("kubernetes:core/v1:Secret");
    // The whole stringData is a secret (mocks show Pulumi's secret envelope around it).
    assert.equal(secret.stringData["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
    assert.deepEqual(Object.keys(secret.stringData.value).sort(), ["definitions.json", "erlang.cookie"]);
    assert.match(secret.stringData.value["definitions.json"], /"password_hash": "[A-Za-z0-9+/]{48}"/);
    // No credential in any env value.
    assert.deepEqual(rabbit.env, [{ name: "RABBITMQ_CONF_ENV_FILE", value: "/etc/rabbitmq/rabbitmq-env.conf" }]);
  });

  it("probes with rabbitmq-diagnostics and waits for quorum before stopping", () => {
    assert.deepEqual(rabbit.readinessProbe.exec.command, ["rabbitmq-diagnostics", "-q", "check_port_connectivity"]);
    assert.deepEqual(rabbit.livenessProbe.exec.command, ["rabbitmq-diagnostics", "-q", "status"]);
    assert.match(rabbit.lifecycle.preStop.exec.command[2], /^rabbitmq-upgrade await_online_quorum_plus_one -t \d+ && rabbitmq-upgrade drain$/);
    assert.equal(pod.terminationGracePeriodSeconds, 604800);
  });

  it("runs as non-root with a read-only root filesystem and no privilege escalation", () => {
    assert.deepEqual(pod.securityContext.runAsNonRoot, true);
    for (const c of [...pod.initContainers, ...pod.containers])
      assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    assert.deepEqual(rabbit.resources, { requests: { cpu: "1", memory: "4Gi" }, limits: { cpu: "2", memory: "4Gi" } });
  });

  it("has a headless service for the nodes and a ClusterIP client service", () => {
    const services = run.ofType("kubernetes:core/v1:Service").map((s) => s.inputs);
    const headless = services.find((s) => s.spec.clusterIP === "None")!;
    assert.deepEqual(headless.spec.ports.map((p: { port: number }) => p.port), [4369, 25672]);
    assert.equal(headless.spec.publishNotReadyAddresses, true);
    const clientSvc = services.find((s) => s.spec.clusterIP !== "None")!;
    assert.equal(clientSvc.spec.type, "ClusterIP");
    assert.deepEqual(clientSvc.spec.ports.map((p: { name: string; port: number }) => `${p.name}:${p.port}`), ["amqp:5672", "management:15672", "prometheus:15692"]);
  });

  it("limits disruptions and network access", () => {
    assert.equal(one("kubernetes:policy/v1:PodDisruptionBudget").spec.maxUnavailable, 1);
    const np = one("kubernetes:networking.k8s.io/v1:NetworkPolicy").spec;
    assert.deepEqual(np.ingress[1], { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "alerting" } } }], ports: [{ port: 5672 }] });
    assert.deepEqual(np.ingress[2].from, [{ ipBlock: { cidr: "10.20.0.0/16" } }]);
    const rules = one("kubernetes:rbac.authorization.k8s.io/v1:Role").rules;
    assert.deepEqual(rules[0], { apiGroups: [""], resources: ["endpoints"], verbs: ["get"] });
  });

  it("labels everything it creates", () => {
    for (const r of run.resources.filter((r) => r.type.startsWith("kubernetes:")))
      assert.equal(r.inputs.metadata?.labels?.["app.kubernetes.io/part-of"], "warren", r.name);
  });

  it("wires the topology to the configured management URL and the generated admin", async () => {
    const [p] = run.ofType("pulumi:providers:rabbitmq");
    assert.equal(p.inputs.endpoint, "http://127.0.0.1:15672");
    assert.equal(p.inputs.username, "warren-admin");
    assert.deepEqual(await valueOf(outputs.nodes), ["rabbit@warren-0.warren-nodes.messaging", "rabbit@warren-1.warren-nodes.messaging", "rabbit@warren-2.warren-nodes.messaging"]);
  });

  it("passes every mandatory prod rule of the policy pack", async () => {
    const prod = JSON.parse(readFileSync(path.join(PROJECT_DIR, "policies", "prod.json"), "utf8"));
    const found = (await evaluate(RULES, fromMocks(run.resources), prod)).filter((f) => f.level === "mandatory");
    assert.deepEqual(found, []);
  });
});
