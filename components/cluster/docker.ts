// warren:rabbitmq:DockerCluster — a RabbitMQ cluster on one Docker host, for laptops and this
// machine: a network, per node a data volume and a logs volume at the relocated paths and one
// container with a stable hostname, the rendered files uploaded, classic_config formation, a
// healthcheck, and management and AMQP published on 127.0.0.1 only.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../config/schema";
import { type ClusterOutputs, clusterCredentials } from "./credentials";
import { quantityToBytes } from "./quantity";
import { STAGING, startScript, watchdogScript } from "./docker-start";
import { CONFIG_DIR, DEFAULT_PORTS, type DockerRuntime, dockerNodeNames, renderConfigFiles } from "./render";
import type { ClusterSpec } from "./schema";

export interface DockerClusterArgs {
  /** The validated `warren:cluster` (image, replicas, paths, limits). */
  readonly spec: ClusterSpec;
  readonly environment: Environment;
  /**
   * Docker network of the nodes, created here; also the prefix of the containers' and volumes'
   * names (Docker's names are global: two stacks on one host must not collide). @default name
   */
  readonly network?: string;
  /** Host port of node 1's management API on 127.0.0.1; node i gets this + i - 1. @default 15672 */
  readonly managementPort?: number;
  /** Host port of node 1's AMQP on 127.0.0.1; node i gets this + i - 1. @default 5672 */
  readonly amqpPort?: number;
  /** Keep the node volumes when the stack is destroyed. @default false */
  readonly retainVolumes?: boolean;
  /** The admin user created at boot (password generated). @default "warren-admin" */
  readonly adminUsername?: string;
}


export class DockerCluster extends pulumi.ComponentResource implements ClusterOutputs {
  public readonly amqpEndpoint: pulumi.Output<string>;
  public readonly amqpEndpointFromHost: pulumi.Output<string>;
  public readonly amqpEndpoints: pulumi.Output<string[]>;
  public readonly amqpEndpointsFromHost: pulumi.Output<string[]>;
  public readonly managementUrlInternal: pulumi.Output<string>;
  public readonly managementUrl: pulumi.Output<string>;
  public readonly adminUsername: pulumi.Output<string>;
  public readonly adminPassword: pulumi.Output<string>;
  public readonly nodeNames: pulumi.Output<string[]>;
  /** The Docker network (consumers join it to reach the nodes by hostname). */
  public readonly networkName: pulumi.Output<string>;
  /** Node hostnames on the network. */
  public readonly hostnames: pulumi.Output<string[]>;

  constructor(name: string, args: DockerClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("warren:rabbitmq:DockerCluster", name, {}, opts);
    const { spec } = args;
    const mgmtPort = args.managementPort ?? 15672;
    const amqpPort = args.amqpPort ?? 5672;
    const labels = [
      { label: "app.kubernetes.io/name", value: "rabbitmq" },
      { label: "app.kubernetes.io/instance", value: name },
      { label: "app.kubernetes.io/part-of", value: "warren" },
    ];
    const prefix = args.network ?? name;
    const hostnames = Array.from({ length: spec.replicas }, (_, i) => `${prefix}-rabbit-${i + 1}`);
    const runtime: DockerRuntime = { kind: "docker", nodes: hostnames };
    const files = renderConfigFiles(spec, runtime);
    const creds = clusterCredentials(name, args.adminUsername ?? "warren-admin", this);

    const network = new docker.Network(`${name}-network`, { name: prefix, driver: "bridge", labels }, { parent: this });
    const image = new docker.RemoteImage(`${name}-image`, { name: spec.image, keepLocally: true }, { parent: this });
    const volumeOpts = { parent: this, retainOnDelete: args.retainVolumes ?? false };

    const start = startScript(spec);
    const watchdog = watchdogScript(spec, hostnames);

    const containers = hostnames.map((host, i) => {
      const data = new docker.Volume(`${host}-data`, { name: `${host}-data`, labels }, volumeOpts);
      const logs = new docker.Volume(`${host}-logs`, { name: `${host}-logs`, labels }, volumeOpts);
      return new docker.Container(host, {
        name: host,
        hostname: host,
        image: image.imageId,
        networksAdvanced: [{ name: network.name, aliases: [host] }],
        ports: [
          { internal: DEFAULT_PORTS.management, external: mgmtPort + i, ip: "127.0.0.1" },
          { internal: DEFAULT_PORTS.amqp, external: amqpPort + i, ip: "127.0.0.1" },
        ],
        volumes: [
          { volumeName: data.name, containerPath: spec.dataDir },
          { volumeName: logs.name, containerPath: spec.logDir },
        ],
        uploads: [
          ...files.map((f) => ({ file: f.path, content: f.content })),
          { file: `${STAGING}/erlang.cookie`, content: creds.cookie.apply((c) => c.content) },
          { file: `${STAGING}/definitions.json`, content: creds.definitions.apply((d) => d.content) },
          { file: `${STAGING}/start.sh`, content: start },
          { file: `${STAGING}/watchdog.sh`, content: watchdog },
        ],
        // Run by sh: the provider's uploads carry no mode bits (the SDK's `executable` is ignored).
        entrypoints: ["sh", `${STAGING}/start.sh`],
        // The start script needs root for the chown and install above, then runs RabbitMQ as rabbitmq.
        user: "0:0",
        envs: [`RABBITMQ_CONF_ENV_FILE=${CONFIG_DIR}/rabbitmq-env.conf`],
        // Docker's limit is in MiB; RabbitMQ's watermark follows it (total_memory_available_override_value).
        memory: Number(quantityToBytes(spec.resources.limits.memory) / 1048576n),
        // Equal to memory: no swap for the broker (and Docker's default, twice the memory, would
        // show as drift on every preview).
        memorySwap: Number(quantityToBytes(spec.resources.limits.memory) / 1048576n),
        healthcheck: { tests: ["CMD", "rabbitmq-diagnostics", "-q", "check_port_connectivity"], interval: "10s", timeout: "10s", retries: 12, startPeriod: "30s" },
        // Created when healthy: the topology (which waits for the cluster) can then use it.
        wait: true,
        waitTimeout: 300,
        restart: "unless-stopped",
        labels,
        capabilities: { drops: ["NET_RAW", "MKNOD", "AUDIT_WRITE"] },
        securityOpts: ["no-new-privileges:true"],
        // Let a node hand over (quorum queues, client connections) before it is killed.
        destroyGraceSeconds: 60,
        stopTimeout: 60,
      }, { parent: this, deleteBeforeReplace: true });
    });

    const ready = pulumi.all(containers.map((c) => c.id));
    this.networkName = network.name;
    this.hostnames = pulumi.output(hostnames);
    this.amqpEndpoint = pulumi.output(`${hostnames[0]}:${DEFAULT_PORTS.amqp}`);
    this.amqpEndpointFromHost = pulumi.output(`127.0.0.1:${amqpPort}`);
    this.amqpEndpoints = pulumi.output(hostnames.map((h) => `${h}:${DEFAULT_PORTS.amqp}`));
    this.amqpEndpointsFromHost = pulumi.output(hostnames.map((_, i) => `127.0.0.1:${amqpPort + i}`));
    this.managementUrlInternal = pulumi.output(`http://${hostnames[0]}:${DEFAULT_PORTS.management}`);
    this.managementUrl = ready.apply(() => `http://127.0.0.1:${mgmtPort}`);
    this.adminUsername = pulumi.output(creds.adminUsername);
    this.adminPassword = creds.adminPassword;
    this.nodeNames = pulumi.output(dockerNodeNames(runtime));
    this.registerOutputs({
      amqpEndpoint: this.amqpEndpoint,
      amqpEndpoints: this.amqpEndpoints,
      managementUrl: this.managementUrl,
      adminUsername: this.adminUsername,
      adminPassword: this.adminPassword,
      nodeNames: this.nodeNames,
      networkName: this.networkName,
    });
  }
}
