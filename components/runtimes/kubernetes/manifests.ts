// The Kubernetes objects of a RabbitMQ cluster, as pure functions of the ClusterSpec and the
// names: the StatefulSet, its services, the peer-discovery RBAC, the disruption budget and the
// NetworkPolicy. cluster.ts maps them onto resources; tests call them directly.
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import {
  CONFIG_DIR,
  DEFAULT_PORTS,
  EPMD_PORT,
  RABBITMQ_HOME,
  STUCK_AFTER_S,
  type KubernetesRuntime,
} from "../../cluster/render";
import type { ClusterSpec } from "../../cluster/schema";
import { type Labels, selectorLabels, workloadLabels } from "../../core/labels";

type Meta = k8s.types.input.meta.v1.ObjectMeta;

/** The names of one cluster's objects, all derived from the component's name. */
export interface ClusterNames {
  /** The StatefulSet, its ServiceAccount, PDB and NetworkPolicy; also the client Service. */
  readonly name: string;
  readonly namespace: string;
  /** The headless service: the pods' DNS subdomain. */
  readonly nodes: string;
  readonly config: string;
  readonly secrets: string;
  readonly peerDiscovery: string;
  readonly labels: Labels;
  readonly selector: Labels;
}

export function clusterNames(name: string, namespace: string): ClusterNames {
  return {
    name,
    namespace,
    nodes: `${name}-nodes`,
    config: `${name}-config`,
    secrets: `${name}-secrets`,
    peerDiscovery: `${name}-peer-discovery`,
    labels: workloadLabels("rabbitmq", name, "broker"),
    selector: selectorLabels("rabbitmq", name),
  };
}

/** What the renderer needs to know of this runtime. */
export function kubernetesRuntime(n: ClusterNames): KubernetesRuntime {
  return { kind: "kubernetes", serviceName: n.nodes, namespace: n.namespace };
}

export function meta(n: ClusterNames, name: string = n.name): Meta {
  return { name, namespace: n.namespace, labels: n.labels };
}

const RABBITMQ_UID = 999; // the rabbitmq user of the official image
/** Time a node may take to hand over before it stops: quorum queues must keep a majority. */
const TERMINATION_GRACE_SECONDS = 60 * 60 * 24 * 7;

const RESTRICTED = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

/** Peer discovery reads the endpoints of the headless service. */
export const PEER_DISCOVERY_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
  { apiGroups: [""], resources: ["endpoints"], verbs: ["get"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create"] },
];

/** Names of objects created beside the StatefulSet, known once they exist. */
export interface StatefulSetRefs {
  readonly serviceAccount: pulumi.Input<string>;
  readonly configMap: pulumi.Input<string>;
  readonly secret: pulumi.Input<string>;
  /** Changes whenever the rendered configuration does, so the pods roll. */
  readonly configVersion: pulumi.Input<string>;
}

export function statefulSet(
  spec: ClusterSpec,
  n: ClusterNames,
  refs: StatefulSetRefs,
): k8s.types.input.apps.v1.StatefulSetSpec {
  return {
    serviceName: n.nodes,
    replicas: spec.replicas,
    // Nodes start together; classic peer discovery serializes the joins itself.
    podManagementPolicy: "Parallel",
    selector: { matchLabels: n.selector },
    template: {
      metadata: { labels: n.labels, annotations: { "warren.dev/config-hash": refs.configVersion } },
      spec: podSpec(spec, n, refs),
    },
    volumeClaimTemplates: (["data", "logs"] as const).map((v) => ({
      metadata: { name: v, labels: n.labels },
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: spec.storage[v].storageClass,
        resources: { requests: { storage: spec.storage[v].size } },
      },
    })),
  };
}

function podSpec(
  spec: ClusterSpec,
  n: ClusterNames,
  refs: StatefulSetRefs,
): k8s.types.input.core.v1.PodSpec {
  const matchLabels = n.selector;
  return {
    serviceAccountName: refs.serviceAccount,
    terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RABBITMQ_UID,
      runAsGroup: RABBITMQ_UID,
      fsGroup: RABBITMQ_UID,
      seccompProfile: { type: "RuntimeDefault" },
    },
    // The cookie must be owned by rabbitmq and mode 0600; a Secret volume is neither.
    initContainers: [cookieInstaller(spec)],
    containers: [nodeContainer(spec, n)],
    volumes: podVolumes(refs),
    topologySpreadConstraints: ["kubernetes.io/hostname", "topology.kubernetes.io/zone"].map(
      (topologyKey) => ({
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels },
      }),
    ),
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              topologyKey: "kubernetes.io/hostname",
              labelSelector: { matchLabels },
            },
          },
        ],
      },
    },
  };
}

/**
 * The liveness check of a node (see nodeContainer). Its peers are the headless service's
 * addresses (not-ready ones included), so scaling does not change the pod template. The time the
 * port was first seen closed is kept per container start (PID 1's start time) in /tmp.
 */
export function livenessScript(n: ClusterNames): string {
  const amqp = DEFAULT_PORTS.amqp;
  const dist = DEFAULT_PORTS.distribution;
  return [
    'reachable() { timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }',
    `if reachable 127.0.0.1 ${amqp}; then rm -f /tmp/warren-amqp-closed; exec rabbitmq-diagnostics -q status; fi`,
    'boot="$(cut -d" " -f22 /proc/1/stat)"; now="$(date +%s)"',
    "read -r b since 2>/dev/null </tmp/warren-amqp-closed || true",
    '[ "$b" = "$boot" ] || { since="$now"; echo "$boot $since" >/tmp/warren-amqp-closed; }',
    `[ $((now - since)) -ge ${STUCK_AFTER_S} ] || exit 0`,
    `peers="$(getent ahostsv4 ${n.nodes}.${n.namespace}.svc.cluster.local | awk '{print $1}' | sort -u)"`,
    "total=0; up=0",
    `for p in $peers; do total=$((total + 1)); reachable "$p" ${dist} && up=$((up + 1)); done`,
    '[ "$total" -gt 0 ] && [ $((up * 2)) -gt "$total" ] || exit 0',
    `echo "AMQP closed for $((now - since)) s with $up of $total nodes up: stuck in boot" >&2; exit 1`,
  ].join("\n");
}

function nodeContainer(spec: ClusterSpec, n: ClusterNames): k8s.types.input.core.v1.Container {
  const port = (name: string, containerPort: number) => ({ name, containerPort });
  const diagnostics = (...a: string[]) => ["rabbitmq-diagnostics", ...a];
  return {
    name: "rabbitmq",
    image: spec.image,
    // rabbitmq-server itself, not the image's entrypoint: an entrypoint that finds neither
    // RABBITMQ_LOGS nor RABBITMQ_LOG_BASE in the environment sends every log to the console only,
    // and the logs volume at LOG_BASE (rabbitmq-env.conf) would stay empty (seen on a real kubelet).
    command: ["rabbitmq-server"],
    ports: [
      port("amqp", DEFAULT_PORTS.amqp),
      port("management", DEFAULT_PORTS.management),
      port("prometheus", DEFAULT_PORTS.prometheus),
      port("epmd", EPMD_PORT),
      port("distribution", DEFAULT_PORTS.distribution),
    ],
    env: [{ name: "RABBITMQ_CONF_ENV_FILE", value: `${CONFIG_DIR}/rabbitmq-env.conf` }],
    resources: spec.resources,
    readinessProbe: {
      exec: { command: diagnostics("-q", "check_port_connectivity") },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 10,
    },
    // Alive while the AMQP port answers and `status` does; with the port closed, alive unless
    // a majority of the nodes answers on the distribution port and it has stayed closed for
    // STUCK_AFTER_S: then this node is stuck in its boot, not waiting for peers, and a restart
    // is what frees it (RabbitMQ 3.10 on Erlang 25 can hang for good after peer discovery; seen
    // in a rolling restart on the real cluster). The Docker runtime's watchdog applies the same rule.
    livenessProbe: {
      exec: { command: ["bash", "-c", livenessScript(n)] },
      initialDelaySeconds: 60,
      periodSeconds: 30,
      timeoutSeconds: 20,
      failureThreshold: 2,
    },
    // Hand over before stopping: wait until quorum queues keep a majority without this node,
    // then drain it (close client connections, move leaders).
    lifecycle: {
      preStop: {
        exec: {
          command: [
            "sh",
            "-c",
            "rabbitmq-upgrade await_online_quorum_plus_one -t 604800 && rabbitmq-upgrade drain",
          ],
        },
      },
    },
    securityContext: RESTRICTED,
    volumeMounts: [
      { name: "config", mountPath: CONFIG_DIR, readOnly: true },
      { name: "home", mountPath: RABBITMQ_HOME },
      { name: "tmp", mountPath: "/tmp" },
      { name: "data", mountPath: spec.dataDir },
      { name: "logs", mountPath: spec.logDir },
    ],
  };
}

/** The headless service: nodes must resolve each other before they are ready, to form the cluster. */
export function nodesService(n: ClusterNames): k8s.types.input.core.v1.ServiceSpec {
  return {
    clusterIP: "None",
    publishNotReadyAddresses: true,
    selector: n.selector,
    ports: [
      { name: "epmd", port: EPMD_PORT },
      { name: "distribution", port: DEFAULT_PORTS.distribution },
    ],
  };
}

/** The client service: AMQP, management and Prometheus on every ready node. */
export function clientService(
  spec: ClusterSpec,
  n: ClusterNames,
): k8s.types.input.core.v1.ServiceSpec {
  const restricted = spec.exposure === "LoadBalancer" && spec.management.allowedCidrs.length > 0;
  return {
    type: spec.exposure,
    selector: n.selector,
    ports: [
      { name: "amqp", port: DEFAULT_PORTS.amqp, targetPort: "amqp" },
      { name: "management", port: DEFAULT_PORTS.management, targetPort: "management" },
      { name: "prometheus", port: DEFAULT_PORTS.prometheus, targetPort: "prometheus" },
    ],
    ...(restricted ? { loadBalancerSourceRanges: spec.management.allowedCidrs } : {}),
  };
}

/** At most one node down at a time (drains, upgrades): quorum queues keep their majority. */
export function disruptionBudget(
  n: ClusterNames,
): k8s.types.input.policy.v1.PodDisruptionBudgetSpec {
  return { maxUnavailable: 1, selector: { matchLabels: n.selector } };
}

export function networkPolicy(
  spec: ClusterSpec,
  n: ClusterNames,
): k8s.types.input.networking.v1.NetworkPolicySpec {
  const inNamespace = (ns: string) => ({
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
  });
  const cidrs = spec.management.allowedCidrs;
  return {
    podSelector: { matchLabels: n.selector },
    policyTypes: ["Ingress"],
    ingress: [
      // The nodes among themselves: epmd, distribution, and everything a node asks another.
      { from: [{ podSelector: { matchLabels: n.selector } }] },
      // AMQP from the consumers' namespace.
      {
        from: [inNamespace(spec.amqp.consumerNamespace ?? n.namespace)],
        ports: [{ port: DEFAULT_PORTS.amqp }],
      },
      // Management and Prometheus from the configured networks only.
      ...(cidrs.length
        ? [
            {
              from: cidrs.map((cidr) => ({ ipBlock: { cidr } })),
              ports: [{ port: DEFAULT_PORTS.management }, { port: DEFAULT_PORTS.prometheus }],
            },
          ]
        : []),
    ],
  };
}

function cookieInstaller(spec: ClusterSpec): k8s.types.input.core.v1.Container {
  return {
    name: "setup",
    image: spec.image,
    command: [
      "sh",
      "-c",
      `install -m 600 /run/warren/cookie/erlang.cookie ${RABBITMQ_HOME}/.erlang.cookie`,
    ],
    securityContext: RESTRICTED,
    resources: {
      requests: { cpu: "50m", memory: "64Mi" },
      limits: { cpu: "200m", memory: "64Mi" },
    },
    volumeMounts: [
      { name: "cookie", mountPath: "/run/warren/cookie", readOnly: true },
      { name: "home", mountPath: RABBITMQ_HOME },
    ],
  };
}

function podVolumes(refs: StatefulSetRefs): k8s.types.input.core.v1.Volume[] {
  return [
    // /etc/rabbitmq: the rendered files, and the admin definitions from the Secret
    // (group-readable for the rabbitmq group through fsGroup, nobody else).
    {
      name: "config",
      projected: {
        sources: [
          { configMap: { name: refs.configMap } },
          {
            secret: {
              name: refs.secret,
              items: [{ key: "definitions.json", path: "definitions.json", mode: 0o440 }],
            },
          },
        ],
      },
    },
    {
      name: "cookie",
      secret: {
        secretName: refs.secret,
        items: [{ key: "erlang.cookie", path: "erlang.cookie" }],
        defaultMode: 0o440,
      },
    },
    { name: "home", emptyDir: { sizeLimit: "16Mi" } },
    { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
  ];
}
