// warren:alerting:Consumers — one dispatcher deployment per alerting channel, on Kubernetes
// (Secret, Deployment, optional HorizontalPodAutoscaler, PodDisruptionBudget) or Docker (one
// container per replica on the cluster's network). The environment is rendered once
// (dispatcher-env.ts); secrets reach the dispatcher as files, never as environment values.
import * as pulumi from "@pulumi/pulumi";
import type { SecretInput } from "../config/spec";
import { type ConsumerPlan, HTTP_PORT, SECRETS_DIR, amqpUrl } from "./dispatcher-env";
import type { AlertingSpec } from "./model";

export interface ConsumersArgs {
  readonly runtime: "kubernetes" | "docker";
  readonly alerting: AlertingSpec;
  /** The consumers to run (planConsumers). */
  readonly consumers: readonly ConsumerPlan[];
  /** The dispatcher image, pinned. */
  readonly image: string;
  /**
   * Every node's AMQP `host:port` as reachable from inside the runtime (the cluster's
   * amqpEndpoints): each dispatcher gets them all and moves to the next when it reconnects.
   */
  readonly amqpEndpoints: pulumi.Input<string[]>;
  /** Every topology user's password (the Topology's userPasswords), secret. */
  readonly passwords: pulumi.Input<Record<string, string>>;
  /** Kubernetes: the namespace of the deployments. */
  readonly namespace?: pulumi.Input<string>;
  /** Docker: the network of the cluster; also the prefix of the containers' names. */
  readonly network?: string;
}

function plain(v: SecretInput, what: string): pulumi.Output<string> {
  // A value still encrypted here means the engine could not decrypt the stack's config.
  if (typeof v !== "string") throw new pulumi.RunError(`warren:consumers: ${what} could not be decrypted`);
  return pulumi.secret(v);
}

export class Consumers extends pulumi.ComponentResource {
  /** Deployment (Kubernetes) or container (Docker) names by channel. */
  public readonly workloads: pulumi.Output<Record<string, string[]>>;

  constructor(name: string, args: ConsumersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("warren:alerting:Consumers", name, {}, opts);
    const workloads: Record<string, pulumi.Output<string>[]> = {};
    for (const c of args.consumers) {
      const user = c.channel.consumerUser;
      const files: Record<string, pulumi.Output<string>> = {
        "amqp-url": pulumi.secret(
          pulumi.all([args.passwords, args.amqpEndpoints]).apply(([p, hosts]) =>
            hosts.map((host) => amqpUrl(user, p[user], host, args.alerting.vhost)).join("\n"),
          ),
        ),
        ...Object.fromEntries(Object.entries(c.secretFiles).map(([f, v]) => [f, plain(v, `${c.channel.name}'s ${f}`)])),
      };
      const base = `${name}-${c.channel.name}`;
      workloads[c.channel.name] =
        args.runtime === "kubernetes" ? kubernetesConsumer(this, base, c, files, args) : dockerConsumer(this, base, c, files, args);
    }
    this.workloads = pulumi.output(workloads);
    this.registerOutputs({ workloads: this.workloads });
  }
}

const labelsOf = (c: ConsumerPlan) => ({
  "app.kubernetes.io/name": "dispatcher",
  "app.kubernetes.io/instance": `dispatcher-${c.channel.name}`,
  "app.kubernetes.io/component": "consumer",
  "app.kubernetes.io/part-of": "warren",
  "app.kubernetes.io/managed-by": "pulumi",
  "warren.dev/channel": c.channel.name,
});

function kubernetesConsumer(
  parent: Consumers,
  name: string,
  c: ConsumerPlan,
  files: Record<string, pulumi.Output<string>>,
  args: ConsumersArgs,
): pulumi.Output<string>[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const corev1 = require("@pulumi/kubernetes/core/v1") as typeof import("@pulumi/kubernetes/core/v1");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const appsv1 = require("@pulumi/kubernetes/apps/v1") as typeof import("@pulumi/kubernetes/apps/v1");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const policyv1 = require("@pulumi/kubernetes/policy/v1") as typeof import("@pulumi/kubernetes/policy/v1");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const autoscalingv2 = require("@pulumi/kubernetes/autoscaling/v2") as typeof import("@pulumi/kubernetes/autoscaling/v2");
  const labels = labelsOf(c);
  const selector = { "app.kubernetes.io/instance": labels["app.kubernetes.io/instance"] };
  const workload = `dispatcher-${c.channel.name}`;
  const meta = { name: workload, namespace: args.namespace, labels };
  const o = { parent };
  const secret = new corev1.Secret(`${name}-secret`, { metadata: meta, type: "Opaque", stringData: files }, o);
  const probe = (path: string) => ({ httpGet: { path, port: "http" }, periodSeconds: 10, timeoutSeconds: 5 });
  const deployment = new appsv1.Deployment(`${name}-deployment`, {
    metadata: meta,
    spec: {
      replicas: c.autoscale ? undefined : c.replicas,
      selector: { matchLabels: selector },
      // A rolling update never takes the channel below its replicas; SIGTERM finishes in-flight alerts.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels, annotations: { "warren.dev/secret-version": secret.metadata.resourceVersion } },
        spec: {
          terminationGracePeriodSeconds: 40,
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
          containers: [{
            name: "dispatcher",
            image: args.image,
            ports: [{ name: "http", containerPort: HTTP_PORT }],
            env: Object.entries(c.env).map(([k, value]) => ({ name: k, value })),
            resources: c.resources,
            readinessProbe: probe("/readyz"),
            livenessProbe: { ...probe("/healthz"), failureThreshold: 3 },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            volumeMounts: [{ name: "secrets", mountPath: SECRETS_DIR, readOnly: true }, { name: "tmp", mountPath: "/tmp" }],
          }],
          volumes: [
            { name: "secrets", secret: { secretName: secret.metadata.name, defaultMode: 0o400 } },
            { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
          ],
        },
      },
    },
  }, o);
  if (c.autoscale)
    new autoscalingv2.HorizontalPodAutoscaler(`${name}-hpa`, {
      metadata: meta,
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
        minReplicas: c.replicas,
        maxReplicas: c.autoscale.maxReplicas,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: c.autoscale.cpuUtilization } } }],
      },
    }, o);
  if (c.replicas > 1)
    new policyv1.PodDisruptionBudget(`${name}-pdb`, { metadata: meta, spec: { minAvailable: 1, selector: { matchLabels: selector } } }, o);
  return [deployment.metadata.name];
}

function dockerConsumer(
  parent: Consumers,
  name: string,
  c: ConsumerPlan,
  files: Record<string, pulumi.Output<string>>,
  args: ConsumersArgs,
): pulumi.Output<string>[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const docker = require("@pulumi/docker") as typeof import("@pulumi/docker");
  const image = new docker.RemoteImage(`${name}-image`, { name: args.image, keepLocally: true }, { parent });
  const labels = Object.entries(labelsOf(c)).map(([label, value]) => ({ label, value }));
  return Array.from({ length: c.replicas }, (_, i) => {
    const host = `${args.network}-dispatcher-${c.channel.name}-${i + 1}`;
    const container = new docker.Container(`${name}-${i + 1}`, {
      name: host,
      hostname: host,
      image: image.imageId,
      networksAdvanced: [{ name: args.network!, aliases: [host] }],
      envs: Object.entries(c.env).map(([k, v]) => `${k}=${v}`),
      // The secrets as files, like a mounted Kubernetes Secret.
      uploads: Object.entries(files).map(([f, content]) => ({ file: `${SECRETS_DIR}/${f}`, content })),
      user: "10001:10001",
      // Not a read-only root filesystem on Docker: uploads are copied into the container before
      // it starts, which Docker refuses for a read-only one. (Kubernetes mounts them instead.)
      tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" },
      memory: 256,
      memorySwap: 256, // no swap; Docker's default (twice the memory) would show as drift
      healthcheck: { tests: ["CMD", "node", "-e", `fetch('http://127.0.0.1:${HTTP_PORT}/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`], interval: "10s", timeout: "5s", retries: 6, startPeriod: "10s" },
      restart: "unless-stopped",
      capabilities: { drops: ["ALL"] },
      securityOpts: ["no-new-privileges:true"],
      labels,
      destroyGraceSeconds: 40,
    }, { parent });
    return container.name;
  });
}
