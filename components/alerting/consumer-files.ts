// What both runtimes' consumer components share: their arguments, the names and labels of a
// channel's workload, and the secret files each dispatcher gets (its AMQP URLs, the target's
// tokens), as secret Outputs: never environment values.
import * as pulumi from "@pulumi/pulumi";
import { type Labels, workloadLabels } from "../core/labels";
import type { SecretInput } from "../core/secret";
import { type ConsumerPlan, amqpUrl } from "./consumer-plan";
import type { AlertingSpec } from "./model";

export interface ConsumersArgs {
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
}

/** The workload of one channel: `<component>-<channel>`, so two Consumers never collide. */
export function workloadName(component: string, c: ConsumerPlan): string {
  return `${component}-${c.channel.name}`;
}

export function consumerLabels(workload: string, c: ConsumerPlan): Labels {
  return {
    ...workloadLabels("dispatcher", workload, "consumer"),
    "warren.dev/channel": c.channel.name,
  };
}

function plain(v: SecretInput, what: string): pulumi.Output<string> {
  // A value still encrypted here means the engine could not decrypt the stack's config.
  if (typeof v !== "string")
    throw new pulumi.RunError(`warren:consumers: ${what} could not be decrypted`);
  return pulumi.secret(v);
}

/** The dispatcher's secret files by name: `amqp-url` (one URL per node) and the target's. */
export function secretFiles(
  c: ConsumerPlan,
  args: ConsumersArgs,
): Record<string, pulumi.Output<string>> {
  const user = c.channel.consumerUser;
  const urls = pulumi
    .all([args.passwords, args.amqpEndpoints])
    .apply(([p, hosts]) =>
      hosts.map((host) => amqpUrl(user, p[user], host, args.alerting.vhost)).join("\n"),
    );
  return {
    "amqp-url": pulumi.secret(urls),
    ...Object.fromEntries(
      Object.entries(c.secretFiles).map(([f, v]) => [f, plain(v, `${c.channel.name}'s ${f}`)]),
    ),
  };
}
