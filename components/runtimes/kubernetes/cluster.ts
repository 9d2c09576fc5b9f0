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
import type { Environment } from "../../core/environment";
import { ADMIN_USER } from "../../core/naming";
import {
  type ClusterCredentials,
  type ClusterOutputs,
  clusterCredentials,
} from "../../cluster/credentials";
import {
  type RenderedFile,
  CONFIG_DIR,
  DEFAULT_PORTS,
  kubernetesNodeNames,
  renderConfigFiles,
} from "../../cluster/render";
import type { ClusterSpec } from "../../cluster/schema";
import {
  type ClusterNames,
  PEER_DISCOVERY_RULES,
  clientService,
  clusterNames,
  disruptionBudget,
  kubernetesRuntime,
  meta,
  networkPolicy,
  nodesService,
  statefulSet,
} from "./manifests";

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
  /** The admin user created at boot (password generated). @default ADMIN_USER ("warren-admin") */
  readonly adminUsername?: string;
}

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
    const n = clusterNames(name, args.namespace ?? spec.namespace ?? "warren");
    const ns = n.namespace;
    const namespace =
      (args.createNamespace ?? true)
        ? new corev1.Namespace(
            `${name}-namespace`,
            { metadata: { name: ns, labels: n.labels } },
            { parent: this },
          )
        : undefined;
    const inNs = { parent: this, dependsOn: namespace ? [namespace] : [] };

    const runtime = kubernetesRuntime(n);
    const files = renderConfigFiles(spec, runtime);
    const creds = clusterCredentials(name, args.adminUsername ?? ADMIN_USER, this);

    const account = peerDiscoveryAccount(n, inNs);
    const { config, secrets } = nodeFiles(n, files, creds, inNs);
    const sts = new appsv1.StatefulSet(
      `${name}-statefulset`,
      {
        metadata: meta(n),
        spec: statefulSet(spec, n, {
          serviceAccount: account.metadata.name,
          configMap: config.metadata.name,
          secret: secrets.metadata.name,
          configVersion: config.metadata.resourceVersion,
        }),
      },
      inNs,
    );
    const service = servicesAndPolicies(spec, n, inNs);

    const host = `${n.name}.${ns}.svc`;
    this.serviceName = service.metadata.name;
    this.amqpEndpoint = pulumi.output(`${host}:${DEFAULT_PORTS.amqp}`);
    this.amqpEndpointFromHost = pulumi
      .output(args.managementUrl)
      .apply((u) => `${new URL(u).hostname}:${DEFAULT_PORTS.amqp}`);
    // The client Service resolves to every ready node: one name is every node here.
    this.amqpEndpoints = this.amqpEndpoint.apply((e) => [e]);
    this.amqpEndpointsFromHost = this.amqpEndpointFromHost.apply((e) => [e]);
    this.managementUrlInternal = pulumi.output(`http://${host}:${DEFAULT_PORTS.management}`);
    // Waiting on the StatefulSet (the provider awaits its rollout) makes the topology wait too.
    this.managementUrl = pulumi.all([args.managementUrl, sts.status]).apply(([u]) => u);
    this.adminUsername = pulumi.output(creds.adminUsername);
    this.adminPassword = creds.adminPassword;
    this.nodeNames = pulumi.output(kubernetesNodeNames(runtime, n.name, spec.replicas));
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

/** The nodes' ServiceAccount, allowed what peer discovery asks of the Kubernetes API. */
function peerDiscoveryAccount(
  n: ClusterNames,
  opts: pulumi.CustomResourceOptions,
): corev1.ServiceAccount {
  const account = new corev1.ServiceAccount(
    `${n.name}-serviceaccount`,
    { metadata: meta(n) },
    opts,
  );
  const role = new rbacv1.Role(
    n.peerDiscovery,
    { metadata: meta(n, n.peerDiscovery), rules: PEER_DISCOVERY_RULES },
    opts,
  );
  new rbacv1.RoleBinding(
    n.peerDiscovery,
    {
      metadata: meta(n, n.peerDiscovery),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: n.namespace }],
    },
    opts,
  );
  return account;
}

/** The rendered files in a ConfigMap; the cookie and the admin definitions in a Secret. */
function nodeFiles(
  n: ClusterNames,
  files: readonly RenderedFile[],
  creds: ClusterCredentials,
  inNs: pulumi.CustomResourceOptions,
): { config: corev1.ConfigMap; secrets: corev1.Secret } {
  // Named by Pulumi (`<n.config>-<suffix>`), not fixed: the provider replaces a ConfigMap whose
  // data changes, and a fixed name forces delete-before-replace, which replaces the StatefulSet
  // that mounts it too: every node at once. With a new name the StatefulSet gets an update and
  // rolls one pod at a time (seen on a real cluster with a rendered-config change).
  const config = new corev1.ConfigMap(
    n.config,
    {
      metadata: { namespace: n.namespace, labels: n.labels },
      data: Object.fromEntries(files.map((f) => [f.path.slice(CONFIG_DIR.length + 1), f.content])),
    },
    inNs,
  );
  const secrets = new corev1.Secret(
    `${n.name}-secrets`,
    {
      metadata: meta(n, n.secrets),
      type: "Opaque",
      stringData: {
        "erlang.cookie": creds.cookie.apply((c) => c.content),
        "definitions.json": creds.definitions.apply((d) => d.content),
      },
    },
    inNs,
  );
  return { config, secrets };
}

/** The headless and client services, the disruption budget and the NetworkPolicy. */
function servicesAndPolicies(
  spec: ClusterSpec,
  n: ClusterNames,
  inNs: pulumi.CustomResourceOptions,
): corev1.Service {
  new corev1.Service(
    `${n.name}-nodes`,
    { metadata: meta(n, n.nodes), spec: nodesService(n) },
    inNs,
  );
  const service = new corev1.Service(
    `${n.name}-client`,
    { metadata: meta(n), spec: clientService(spec, n) },
    inNs,
  );
  new policyv1.PodDisruptionBudget(
    `${n.name}-pdb`,
    { metadata: meta(n), spec: disruptionBudget(n) },
    inNs,
  );
  new networkingv1.NetworkPolicy(
    `${n.name}-network`,
    { metadata: meta(n), spec: networkPolicy(spec, n) },
    inNs,
  );
  return service;
}
