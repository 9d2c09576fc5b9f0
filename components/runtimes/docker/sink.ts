// warren:dev:Sink — on a Docker dev stack, one container (apps/sink) standing in for every alert
// target (robot webhooks, gateways, SMTP) and recording what it receives, so the whole platform
// can be tried, and tested end to end, without any outside service. Its record lives on a volume,
// so a restarted sink still knows what it accepted.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerLabels } from "../../core/labels";

export interface SinkArgs {
  /** The cluster's network (its name prefixes the container's and the volume's). */
  readonly network: string;
  /** Host port on 127.0.0.1 for its HTTP API (`GET /deliveries`, `POST /control/fail?count=N`). */
  readonly port: number;
  /** The sink image, pinned. @default "warren/sink:0.1.0" */
  readonly image?: string;
  /** Keep the data volume (the record of deliveries, starts) on destroy. @default false */
  readonly retainData?: boolean;
}

/** Where dispatchers reach the sink on the network. */
export const SINK_HOST = "sink";

/** Where the sink keeps its record in the container (the image has it owned by 1000:1000). */
export const SINK_DATA_DIR = "/data";

const LABELS = dockerLabels("sink");

/** The container's settings: non-root, read-only root file system, only /data writable. */
export function sinkContainerArgs(
  args: SinkArgs,
  imageId: pulumi.Input<string>,
  volumeName: pulumi.Input<string>,
): docker.ContainerArgs {
  return {
    name: `${args.network}-sink`,
    hostname: SINK_HOST,
    image: imageId,
    networksAdvanced: [{ name: args.network, aliases: [SINK_HOST] }],
    ports: [{ internal: 8080, external: args.port, ip: "127.0.0.1" }],
    volumes: [{ volumeName, containerPath: SINK_DATA_DIR }],
    envs: [`WARREN_SINK_DATA_DIR=${SINK_DATA_DIR}`],
    user: "1000:1000",
    readOnly: true,
    memory: 128,
    memorySwap: 128,
    restart: "unless-stopped",
    capabilities: { drops: ["ALL"] },
    securityOpts: ["no-new-privileges:true"],
    labels: LABELS,
  };
}

export class Sink extends pulumi.ComponentResource {
  /** The sink's HTTP API from where `pulumi` runs. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: SinkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("warren:dev:Sink", name, {}, opts);
    const image = new docker.RemoteImage(
      `${name}-image`,
      { name: args.image ?? "warren/sink:0.1.0", keepLocally: true },
      { parent: this },
    );
    const data = new docker.Volume(
      `${name}-data`,
      { name: `${args.network}-sink-data`, labels: LABELS },
      { parent: this, retainOnDelete: args.retainData ?? false },
    );
    // Delete before replace: the new container would need the old one's name and host port.
    const container = new docker.Container(
      `${name}-container`,
      sinkContainerArgs(args, image.imageId, data.name),
      { parent: this, deleteBeforeReplace: true },
    );
    this.url = container.id.apply(() => `http://127.0.0.1:${args.port}`);
    this.registerOutputs({ url: this.url });
  }
}
