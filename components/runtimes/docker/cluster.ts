// warren:rabbitmq:DockerCluster — a RabbitMQ cluster on one Docker host, for laptops and this
// machine: a network, per node a data volume and a logs volume at the relocated paths and one
// container with a stable hostname, the rendered files uploaded, classic_config formation, a
// healthcheck, and management and AMQP published on 127.0.0.1 only.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { certificatePlan, dockerCertificateNames } from "../../cluster/certificates";
import { type ClusterOutputs, clusterCredentials } from "../../cluster/credentials";
import {
  DEFAULT_PORTS,
  type DockerRuntime,
  dockerNodeNames,
  renderConfigFiles,
} from "../../cluster/render";
import type { ClusterSpec } from "../../cluster/schema";
import { ClusterCertificates } from "../../cluster/tls";
import type { Environment } from "../../core/environment";
import { dockerLabels } from "../../core/labels";
import { ADMIN_USER, dockerNodeHostnames } from "../../core/naming";
import { nodeContainer, publishedPorts } from "./manifests";
import { startScript, watchdogScript } from "./start";

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
  /** The admin user created at boot (password generated). @default ADMIN_USER ("warren-admin") */
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
  /** With `warren:cluster.tls` on: the CA (PEM) every client must trust. */
  public readonly caCert?: pulumi.Output<string>;

  constructor(name: string, args: DockerClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("warren:rabbitmq:DockerCluster", name, {}, opts);
    const { spec } = args;
    const mgmtPort = args.managementPort ?? 15672;
    const amqpPort = args.amqpPort ?? 5672;
    const labels = dockerLabels("rabbitmq", name);
    const prefix = args.network ?? name;
    const hostnames = dockerNodeHostnames(prefix, spec.replicas);
    const runtime: DockerRuntime = { kind: "docker", nodes: hostnames };
    const files = renderConfigFiles(spec, runtime);
    const creds = clusterCredentials(name, args.adminUsername ?? ADMIN_USER, this);
    const tls = spec.tls.mode !== "off";
    // validate.ts lets only `generate` through on Docker.
    const certs =
      spec.tls.mode === "generate"
        ? new ClusterCertificates(
            `${name}-tls`,
            certificatePlan(prefix, spec.tls, dockerCertificateNames(hostnames)),
            { parent: this },
          )
        : undefined;
    const internal = publishedPorts(spec);

    const network = new docker.Network(
      `${name}-network`,
      { name: prefix, driver: "bridge", labels },
      { parent: this },
    );
    const image = new docker.RemoteImage(
      `${name}-image`,
      { name: spec.image, keepLocally: true },
      { parent: this },
    );
    const volumeOpts = { parent: this, retainOnDelete: args.retainVolumes ?? false };
    const staged = {
      "erlang.cookie": creds.cookie.apply((c) => c.content),
      "definitions.json": creds.definitions.apply((d) => d.content),
      "start.sh": startScript(spec),
      // With the plaintext listener closed, the watchdog watches AMQP's TLS port (a TCP connect).
      "watchdog.sh": watchdogScript(
        spec,
        hostnames,
        tls && spec.tls.disablePlaintext ? { amqpPort: DEFAULT_PORTS.amqps } : {},
      ),
    };

    const containers = hostnames.map((host, index) => {
      const data = new docker.Volume(`${host}-data`, { name: `${host}-data`, labels }, volumeOpts);
      const logs = new docker.Volume(`${host}-logs`, { name: `${host}-logs`, labels }, volumeOpts);
      const inputs = {
        host,
        index,
        network: network.name,
        image: image.imageId,
        volumes: { data: data.name, logs: logs.name },
      };
      return new docker.Container(
        host,
        nodeContainer(spec, {
          ...inputs,
          managementPort: mgmtPort,
          amqpPort,
          files,
          staged,
          labels,
          ...(certs
            ? {
                tls: {
                  ca: certs.caCert,
                  cert: certs.nodes[index].cert,
                  key: certs.nodes[index].key,
                },
              }
            : {}),
        }),
        { parent: this, deleteBeforeReplace: true },
      );
    });

    const ready = pulumi.all(containers.map((c) => c.id));
    this.networkName = network.name;
    this.hostnames = pulumi.output(hostnames);
    this.amqpEndpoint = pulumi.output(`${hostnames[0]}:${internal.amqp}`);
    this.amqpEndpointFromHost = pulumi.output(`127.0.0.1:${amqpPort}`);
    this.amqpEndpoints = pulumi.output(hostnames.map((h) => `${h}:${internal.amqp}`));
    this.amqpEndpointsFromHost = pulumi.output(
      hostnames.map((_, i) => `127.0.0.1:${amqpPort + i}`),
    );
    const scheme = tls ? "https" : "http";
    this.managementUrlInternal = pulumi.output(
      `${scheme}://${hostnames[0]}:${internal.management}`,
    );
    this.managementUrl = ready.apply(() => `${scheme}://127.0.0.1:${mgmtPort}`);
    this.caCert = certs?.caCert;
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
