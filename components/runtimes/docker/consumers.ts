// warren:alerting:Consumers on Docker — per alerting channel one container per replica on the
// cluster's network, the dispatcher's secrets uploaded as files (never environment values).
// The type token is the one both runtimes' consumers have had since before the split, so
// existing stacks keep their URNs.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  type ConsumersArgs,
  consumerLabels,
  secretFiles,
  withAmqpTls,
  workloadName,
} from "../../alerting/consumer-files";
import type { ConsumerPlan } from "../../alerting/consumer-plan";
import { consumerContainer } from "./manifests";

export interface DockerConsumersArgs extends ConsumersArgs {
  /** The cluster's network; also the prefix of the containers' names. */
  readonly network: string;
}

export class DockerConsumers extends pulumi.ComponentResource {
  /** Container names by channel. */
  public readonly workloads: pulumi.Output<Record<string, string[]>>;

  constructor(name: string, args: DockerConsumersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("warren:alerting:Consumers", name, {}, opts);
    const workloads: Record<string, pulumi.Output<string>[]> = {};
    for (const c of args.consumers)
      workloads[c.channel.name] = this.channel(name, withAmqpTls(c, args), args);
    this.workloads = pulumi.output(workloads);
    this.registerOutputs({ workloads: this.workloads });
  }

  private channel(
    name: string,
    c: ConsumerPlan,
    args: DockerConsumersArgs,
  ): pulumi.Output<string>[] {
    const base = workloadName(name, c);
    const image = new docker.RemoteImage(
      `${base}-image`,
      { name: args.image, keepLocally: true },
      { parent: this },
    );
    const files = secretFiles(c, args);
    const labels = consumerLabels(base, c);
    return Array.from({ length: c.replicas }, (_, i) => {
      const host = `${args.network}-${base}-${i + 1}`;
      const container = new docker.Container(
        `${base}-${i + 1}`,
        consumerContainer(c, { host, network: args.network, image: image.imageId, files, labels }),
        { parent: this },
      );
      return container.name;
    });
  }
}
