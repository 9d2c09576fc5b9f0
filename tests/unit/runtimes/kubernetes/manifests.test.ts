// The Kubernetes runtime's pure manifests (runtimes/kubernetes/manifests.ts and
// consumer-manifests.ts), called directly, without Pulumi: what the StatefulSet, services,
// NetworkPolicy and consumer Deployments say for a given spec.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { consumersSchema } from "../../../../components/alerting/consumers-schema";
import { planConsumers } from "../../../../components/alerting/consumer-plan";
import { kubernetesNodeNames, renderRabbitmqEnvConf } from "../../../../components/cluster/render";
import { clusterSchema } from "../../../../components/cluster/schema";
import { loadWarrenSpec } from "../../../../components/config/spec";
import {
  clientService,
  clusterNames,
  kubernetesRuntime,
  livenessScript,
  networkPolicy,
  nodesService,
  statefulSet,
} from "../../../../components/runtimes/kubernetes/manifests";
import {
  autoscaler,
  consumerDisruptionBudget,
  deployment,
} from "../../../../components/runtimes/kubernetes/consumer-manifests";

const refs = { serviceAccount: "sa", configMap: "cm", secret: "sec", configVersion: "42" };
const names = clusterNames("warren", "alerting-ns");

describe("cluster manifests", () => {
  const spec = clusterSchema.parse({
    replicas: 5,
    storage: { data: { size: "20Gi", storageClass: "fast" } },
  });
  const sts = statefulSet(spec, names, refs);
  const pod = (sts.template as { spec: unknown }).spec as {
    containers: {
      command?: string[];
      ports: { name: string; containerPort: number }[];
      volumeMounts: { name: string; mountPath: string }[];
    }[];
    securityContext: { runAsUser: number; runAsNonRoot: boolean };
  };

  it("runs the replicas behind the headless service, with claims sized from the spec", () => {
    assert.equal(sts.replicas, 5);
    assert.equal(sts.serviceName, "warren-nodes");
    assert.equal(sts.podManagementPolicy, "Parallel");
    const claims = sts.volumeClaimTemplates as {
      metadata: { name: string };
      spec: { storageClassName?: string; resources: { requests: { storage: string } } };
    }[];
    assert.deepEqual(
      claims.map((c) => [
        c.metadata.name,
        c.spec.resources.requests.storage,
        c.spec.storageClassName,
      ]),
      [
        ["data", "20Gi", "fast"],
        ["logs", "2Gi", undefined],
      ],
    );
    assert.equal(
      ((sts.template as { metadata: unknown }).metadata as { annotations: Record<string, string> })
        .annotations["warren.dev/config-hash"],
      "42",
    );
  });

  it("mounts data and logs at the relocated paths and runs as the rabbitmq user", () => {
    const [node] = pod.containers;
    const mounts = Object.fromEntries(node.volumeMounts.map((m) => [m.name, m.mountPath]));
    assert.equal(mounts.data, spec.dataDir);
    assert.equal(mounts.logs, spec.logDir);
    assert.deepEqual(
      node.ports.map((p) => p.containerPort),
      [5672, 15672, 15692, 4369, 25672],
    );
    assert.equal(pod.securityContext.runAsUser, 999);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    // rabbitmq-server directly: the image's entrypoint would send the logs to the console only.
    assert.deepEqual(node.command, ["rabbitmq-server"]);
  });

  it("counts a node stuck in its boot as dead: AMQP closed 120 s with a majority of nodes up", () => {
    const script = livenessScript(names);
    execFileSync("bash", ["-n", "-c", script]); // valid bash
    assert.match(script, /-ge 120 \]/);
    // Peers from the headless service, so scaling out does not change the pod template.
    assert.match(script, /getent ahostsv4 warren-nodes\.alerting-ns\.svc\.cluster\.local/);
    assert.match(script, /reachable "\$p" 25672/);
    const probe = (pod.containers[0] as { livenessProbe?: { exec: { command: string[] } } })
      .livenessProbe;
    assert.deepEqual(probe?.exec.command, ["bash", "-c", script]);
  });

  it("names the nodes as their rendered NODENAME makes them", () => {
    const env = renderRabbitmqEnvConf(spec, kubernetesRuntime(names));
    assert.match(env, /^NODENAME=rabbit@\$\{HOSTNAME\}\.warren-nodes\.alerting-ns$/m);
    assert.deepEqual(kubernetesNodeNames(kubernetesRuntime(names), names.name, 2), [
      "rabbit@warren-0.warren-nodes.alerting-ns",
      "rabbit@warren-1.warren-nodes.alerting-ns",
    ]);
  });

  it("publishes not-ready nodes on the headless service, only epmd and distribution", () => {
    const s = nodesService(names);
    assert.equal(s.clusterIP, "None");
    assert.equal(s.publishNotReadyAddresses, true);
    assert.deepEqual(
      (s.ports as { port: number }[]).map((p) => p.port),
      [4369, 25672],
    );
  });

  it("restricts a load balancer to the management CIDRs, and only a load balancer", () => {
    const cidrs = { management: { allowedCidrs: ["10.0.0.0/8"] } };
    assert.deepEqual(
      clientService(clusterSchema.parse({ ...cidrs, exposure: "LoadBalancer" }), names)
        .loadBalancerSourceRanges,
      ["10.0.0.0/8"],
    );
    assert.equal(
      clientService(clusterSchema.parse({ ...cidrs }), names).loadBalancerSourceRanges,
      undefined,
    );
  });

  it("lets AMQP in from the consumers' namespace and management only from the CIDRs", () => {
    const open = networkPolicy(
      clusterSchema.parse({ amqp: { consumerNamespace: "consumers" } }),
      names,
    );
    const rules = open.ingress as { from: object[]; ports?: { port: number }[] }[];
    assert.equal(rules.length, 2);
    assert.deepEqual(rules[1], {
      from: [
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "consumers" } } },
      ],
      ports: [{ port: 5672 }],
    });
    const withCidrs = networkPolicy(
      clusterSchema.parse({ management: { allowedCidrs: ["192.0.2.0/24"] } }),
      names,
    );
    const mgmt = (withCidrs.ingress as { from: object[]; ports: { port: number }[] }[])[2];
    assert.deepEqual(mgmt, {
      from: [{ ipBlock: { cidr: "192.0.2.0/24" } }],
      ports: [{ port: 15672 }, { port: 15692 }],
    });
    // Without a consumer namespace, AMQP comes from the cluster's own.
    assert.deepEqual((networkPolicy(spec, names).ingress as { from: object[] }[])[1].from, [
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "alerting-ns" } } },
    ]);
  });
});

describe("consumer manifests", () => {
  const alerting = loadWarrenSpec({ "warren:environment": "dev", "warren:alerting": {} }).alerting!;
  const plan = (channel: object) =>
    planConsumers(
      consumersSchema.parse({
        channels: { sms: { target: { url: "https://gw.test/?key=s3cret" }, ...channel } },
      }),
      alerting,
    )[0];
  const labels = {
    "app.kubernetes.io/instance": "dispatcher-sms",
    "app.kubernetes.io/name": "dispatcher",
  };
  const secretRefs = { secret: "dispatcher-sms", secretVersion: "7" };

  it("mounts the secrets as files and never puts a secret in the environment", () => {
    const d = deployment(plan({}), "warren/dispatcher:0.1.0", labels, secretRefs);
    const pod = (d.template as { spec: unknown }).spec as {
      securityContext: { runAsUser: number; fsGroup: number };
      containers: { env: { name: string; value: string }[] }[];
      volumes: { name: string; secret?: { secretName: string; defaultMode: number } }[];
    };
    const env = pod.containers[0].env;
    assert.ok(env.some((e) => e.name === "WARREN_GATEWAY_URL_FILE"));
    assert.ok(!env.some((e) => e.value.includes("s3cret")));
    assert.deepEqual(pod.volumes[0], {
      name: "secrets",
      secret: { secretName: "dispatcher-sms", defaultMode: 0o440 },
    });
    // Secret files are root's: the dispatcher reads them through its group (seen on a real kubelet).
    assert.equal(pod.securityContext.fsGroup, pod.securityContext.runAsUser);
    assert.deepEqual(d.selector, {
      matchLabels: { "app.kubernetes.io/instance": "dispatcher-sms" },
    });
    assert.equal(d.replicas, 1);
  });

  it("leaves the replicas to the autoscaler when there is one", () => {
    const scaled = plan({ replicas: 2, autoscale: { maxReplicas: 6 } });
    assert.equal(deployment(scaled, "i:1", labels, secretRefs).replicas, undefined);
    assert.deepEqual(autoscaler(scaled, "dep"), {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "dep" },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
        },
      ],
    });
    assert.equal(autoscaler(plan({}), "dep"), undefined);
  });

  it("keeps one replica through a drain only when there are several", () => {
    assert.equal(consumerDisruptionBudget(plan({}), labels), undefined);
    assert.deepEqual(consumerDisruptionBudget(plan({ replicas: 3 }), labels), {
      minAvailable: 1,
      selector: { matchLabels: { "app.kubernetes.io/instance": "dispatcher-sms" } },
    });
  });
});
