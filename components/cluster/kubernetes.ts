// warren:rabbitmq:KubernetesCluster — a RabbitMQ cluster as a StatefulSet: rendered configuration
// (render.ts) in a ConfigMap, cookie and admin definitions in Secrets, data and logs on their own
// PVCs at the relocated paths, peer discovery through the Kubernetes API, a PodDisruptionBudget
// and a NetworkPolicy. Only the @pulumi/kubernetes modules used are imported (start-up time).
import * as pulumi from "@pulumi/pulumi";
import * as appsv1 from "@pulumi/kubernetes/apps/v1";
import * as corev1 from "@pulumi/kubernetes/core/v1";
import * as networkingv1 from "@pulumi/kubernetes/networking/v1";
import * as policyv1 from "@pulumi/kubernetes/policy/v1";
import * as rbacv1 from "@pulumi/kubernetes/rbac/v1";
import type { Environment } from "../config/schema";
import { type ClusterOutputs, clusterCredentials } from "./credentials";
import { CONFIG_DIR, DEFAULT_PORTS, RABBITMQ_HOME, type KubernetesRuntime, renderConfigFiles } from "./render";
import type { ClusterSpec } from "./schema";

export interface KubernetesClusterArgs {
  /** The validated `warren:cluster`. */
  readonly spec: ClusterSpec;
  readonly environment: Environment;
  /** Namespace of the nodes. @default "warren" */
  readonly namespace?: string;
  /** Create the namespace (false: it exists). @default true */
  readonly createNamespace?: boolean;
  /** The management API as reachable from where `pulumi` runs (ingress, load balancer, port-forward). */
  readonly managementUrl: pulumi.Input<string>;
  /** The admin user created at boot (password generated). @default "warren-admin" */
  readonly adminUsername?: string;
}

const RABBITMQ_UID = 999; // the rabbitmq user of the official image
/** Time a node may take to hand over before it stops: quorum queues must keep a majority. */
const TERMINATION_GRACE_SECONDS = 60 * 60 * 24 * 7;

export class KubernetesCluster extends pulumi.ComponentResource implements ClusterOutputs {
  public readonly amqpEndpoint: pulumi.Output<string>;
  public readonly amqpEndpointFromHost: pulumi.Output<string>;
  public readonly amqpEndpoints: pulumi.Output<string[]>;
  public readonly amqpEndpointsFromHost: pulumi.Output<string[]>;
  public readonly managementUrlInternal: pulumi.Output<string>;
  public readonly managementUrl: pulumi.Output<string>;
  public readonly adminUsername: pulumi.Output<string>;
  public readonly adminPassword: pulumi.Output<string>;
  public readonly nodeNames: pulumi.Output<string[]>;
  /** The client Service's name (port-forward target for the management API). */
  public readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: KubernetesClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("warren:rabbitmq:KubernetesCluster", name, {}, opts);
    const { spec } = args;
    const ns = args.namespace ?? spec.namespace ?? "warren";
    const nodes = `${name}-nodes`; // headless service: the pods' DNS subdomain
    const client = name;
    const labels = {
      "app.kubernetes.io/name": "rabbitmq",
      "app.kubernetes.io/instance": name,
      "app.kubernetes.io/component": "broker",
      "app.kubernetes.io/part-of": "warren",
      "app.kubernetes.io/managed-by": "pulumi",
    };
    const selector = { "app.kubernetes.io/name": "rabbitmq", "app.kubernetes.io/instance": name };
    const meta = (n: string) => ({ name: n, namespace: ns, labels });
    const parent = { parent: this };

    const namespace = (args.createNamespace ?? true) ? new corev1.Namespace(`${name}-namespace`, { metadata: { name: ns, labels } }, parent) : undefined;
    const inNs = { parent: this, dependsOn: namespace ? [namespace] : [] };

    const runtime: KubernetesRuntime = { kind: "kubernetes", serviceName: nodes, namespace: ns };
    const files = renderConfigFiles(spec, runtime);
    const creds = clusterCredentials(name, args.adminUsername ?? "warren-admin", this);

    // Peer discovery reads the endpoints of the headless service.
    const account = new corev1.ServiceAccount(`${name}-serviceaccount`, { metadata: meta(name) }, inNs);
    const role = new rbacv1.Role(`${name}-peer-discovery`, {
      metadata: meta(`${name}-peer-discovery`),
      rules: [
        { apiGroups: [""], resources: ["endpoints"], verbs: ["get"] },
        { apiGroups: [""], resources: ["events"], verbs: ["create"] },
      ],
    }, inNs);
    new rbacv1.RoleBinding(`${name}-peer-discovery`, {
      metadata: meta(`${name}-peer-discovery`),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: ns }],
    }, inNs);

    const config = new corev1.ConfigMap(`${name}-config`, {
      metadata: meta(`${name}-config`),
      data: Object.fromEntries(files.map((f) => [f.path.slice(CONFIG_DIR.length + 1), f.content])),
    }, inNs);
    const secrets = new corev1.Secret(`${name}-secrets`, {
      metadata: meta(`${name}-secrets`),
      type: "Opaque",
      stringData: {
        "erlang.cookie": creds.cookie.apply((c) => c.content),
        "definitions.json": creds.definitions.apply((d) => d.content),
      },
    }, inNs);

    const port = (n: string, p: number) => ({ name: n, containerPort: p });
    const rabbitmqctl = (...a: string[]) => ["rabbitmq-diagnostics", ...a];
    const sts = new appsv1.StatefulSet(`${name}-statefulset`, {
      metadata: meta(name),
      spec: {
        serviceName: nodes,
        replicas: spec.replicas,
        // Nodes start together; classic peer discovery serializes the joins itself.
        podManagementPolicy: "Parallel",
        selector: { matchLabels: selector },
        template: {
          metadata: { labels, annotations: { "warren.dev/config-hash": config.metadata.resourceVersion } },
          spec: {
            serviceAccountName: account.metadata.name,
            terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
            securityContext: { runAsNonRoot: true, runAsUser: RABBITMQ_UID, runAsGroup: RABBITMQ_UID, fsGroup: RABBITMQ_UID, seccompProfile: { type: "RuntimeDefault" } },
            // The cookie must be owned by rabbitmq and mode 0600; a Secret volume is neither.
            initContainers: [{
              name: "setup",
              image: spec.image,
              command: ["sh", "-c", `install -m 600 /run/warren/cookie/erlang.cookie ${RABBITMQ_HOME}/.erlang.cookie`],
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
              resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
              volumeMounts: [
                { name: "cookie", mountPath: "/run/warren/cookie", readOnly: true },
                { name: "home", mountPath: RABBITMQ_HOME },
              ],
            }],
            containers: [{
              name: "rabbitmq",
              image: spec.image,
              ports: [
                port("amqp", DEFAULT_PORTS.amqp),
                port("management", DEFAULT_PORTS.management),
                port("prometheus", DEFAULT_PORTS.prometheus),
                port("epmd", 4369),
                port("distribution", DEFAULT_PORTS.distribution),
              ],
              env: [{ name: "RABBITMQ_CONF_ENV_FILE", value: `${CONFIG_DIR}/rabbitmq-env.conf` }],
              resources: spec.resources,
              readinessProbe: { exec: { command: rabbitmqctl("-q", "check_port_connectivity") }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 10 },
              livenessProbe: { exec: { command: rabbitmqctl("-q", "status") }, initialDelaySeconds: 60, periodSeconds: 60, timeoutSeconds: 15, failureThreshold: 3 },
              // Hand over before stopping: wait until quorum queues keep a majority without this
              // node, then drain it (close client connections, move leaders).
              lifecycle: { preStop: { exec: { command: ["sh", "-c", "rabbitmq-upgrade await_online_quorum_plus_one -t 604800 && rabbitmq-upgrade drain"] } } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
              volumeMounts: [
                { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                { name: "home", mountPath: RABBITMQ_HOME },
                { name: "tmp", mountPath: "/tmp" },
                { name: "data", mountPath: spec.dataDir },
                { name: "logs", mountPath: spec.logDir },
              ],
            }],
            volumes: [
              // /etc/rabbitmq: the rendered files, and the admin definitions from the Secret
              // (group-readable for the rabbitmq group through fsGroup, nobody else).
              {
                name: "config",
                projected: {
                  sources: [
                    { configMap: { name: config.metadata.name } },
                    { secret: { name: secrets.metadata.name, items: [{ key: "definitions.json", path: "definitions.json", mode: 0o440 }] } },
                  ],
                },
              },
              { name: "cookie", secret: { secretName: secrets.metadata.name, items: [{ key: "erlang.cookie", path: "erlang.cookie" }], defaultMode: 0o440 } },
              { name: "home", emptyDir: { sizeLimit: "16Mi" } },
              { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
            ],
            topologySpreadConstraints: [
              { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
              { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
            ],
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selector } } }],
              },
            },
          },
        },
        volumeClaimTemplates: (["data", "logs"] as const).map((v) => ({
          metadata: { name: v, labels },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: spec.storage[v].storageClass,
            resources: { requests: { storage: spec.storage[v].size } },
          },
        })),
      },
    }, inNs);

    new corev1.Service(`${name}-nodes`, {
      metadata: meta(nodes),
      spec: {
        clusterIP: "None",
        // Nodes must resolve each other before they are ready, to form the cluster.
        publishNotReadyAddresses: true,
        selector,
        ports: [{ name: "epmd", port: 4369 }, { name: "distribution", port: DEFAULT_PORTS.distribution }],
      },
    }, inNs);
    const service = new corev1.Service(`${name}-client`, {
      metadata: meta(client),
      spec: {
        type: spec.exposure,
        selector,
        ports: [
          { name: "amqp", port: DEFAULT_PORTS.amqp, targetPort: "amqp" },
          { name: "management", port: DEFAULT_PORTS.management, targetPort: "management" },
          { name: "prometheus", port: DEFAULT_PORTS.prometheus, targetPort: "prometheus" },
        ],
        ...(spec.exposure === "LoadBalancer" && spec.management.allowedCidrs.length ? { loadBalancerSourceRanges: spec.management.allowedCidrs } : {}),
      },
    }, inNs);

    new policyv1.PodDisruptionBudget(`${name}-pdb`, { metadata: meta(name), spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }, inNs);

    const nsSelector = (n: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } } });
    new networkingv1.NetworkPolicy(`${name}-network`, {
      metadata: meta(name),
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress"],
        ingress: [
          // The nodes among themselves: epmd, distribution, and everything a node asks another.
          { from: [{ podSelector: { matchLabels: selector } }] },
          // AMQP from the consumers' namespace.
          { from: [nsSelector(spec.amqp.consumerNamespace ?? ns)], ports: [{ port: DEFAULT_PORTS.amqp }] },
          // Management and Prometheus from the configured networks only.
          ...(spec.management.allowedCidrs.length
            ? [{ from: spec.management.allowedCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: DEFAULT_PORTS.management }, { port: DEFAULT_PORTS.prometheus }] }]
            : []),
        ],
      },
    }, inNs);

    const host = `${client}.${ns}.svc`;
    this.serviceName = service.metadata.name;
    this.amqpEndpoint = pulumi.output(`${host}:${DEFAULT_PORTS.amqp}`);
    this.amqpEndpointFromHost = pulumi.output(args.managementUrl).apply((u) => `${new URL(u).hostname}:${DEFAULT_PORTS.amqp}`);
    // The client Service resolves to every ready node: one name is every node here.
    this.amqpEndpoints = this.amqpEndpoint.apply((e) => [e]);
    this.amqpEndpointsFromHost = this.amqpEndpointFromHost.apply((e) => [e]);
    this.managementUrlInternal = pulumi.output(`http://${host}:${DEFAULT_PORTS.management}`);
    // Waiting on the StatefulSet (the provider awaits its rollout) makes the topology wait too.
    this.managementUrl = pulumi.all([args.managementUrl, sts.status]).apply(([u]) => u);
    this.adminUsername = pulumi.output(creds.adminUsername);
    this.adminPassword = creds.adminPassword;
    this.nodeNames = pulumi.output(Array.from({ length: spec.replicas }, (_, i) => `rabbit@${name}-${i}.${nodes}.${ns}`));
    this.registerOutputs({
      amqpEndpoint: this.amqpEndpoint,
      amqpEndpoints: this.amqpEndpoints,
      managementUrl: this.managementUrl,
      managementUrlInternal: this.managementUrlInternal,
      adminUsername: this.adminUsername,
      adminPassword: this.adminPassword,
      nodeNames: this.nodeNames,
    });
  }
}
