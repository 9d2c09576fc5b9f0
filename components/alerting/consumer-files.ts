// What both runtimes' consumer components share: their arguments, the names and labels of a
// channel's workload, and the secret files each dispatcher gets (its AMQP URLs, the target's
// tokens), as secret Outputs: never environment values.
import * as pulumi from "@pulumi/pulumi";
import { type Labels, workloadLabels } from "../core/labels";
import type { SecretInput } from "../core/secret";
import { type ConsumerPlan, SECRETS_DIR, amqpUrl } from "./consumer-plan";
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
  /**
   * With the cluster's TLS on: the CA (PEM) its nodes' certificates chain to. The endpoints are
   * then AMQPS ones; each dispatcher gets amqps:// URLs and the CA as a file (`amqp-ca.crt`).
   */
  readonly ca?: pulumi.Input<string>;
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

/** The file holding the cluster's CA, when its TLS is on. */
export const AMQP_CA_FILE = "amqp-ca.crt";

/** A consumer's plan with what TLS adds to its environment: where its CA file is. */
export function withAmqpTls(c: ConsumerPlan, args: ConsumersArgs): ConsumerPlan {
  return args.ca === undefined
    ? c
    : { ...c, env: { ...c.env, WARREN_AMQP_CA_FILE: `${SECRETS_DIR}/${AMQP_CA_FILE}` } };
}

/**
 * The dispatcher's secret files by name: `amqp-url` (one URL per node), the target's, and with
 * TLS on the cluster's CA (not a secret, but it goes where the dispatcher's other files go).
 */
export function secretFiles(
  c: ConsumerPlan,
  args: ConsumersArgs,
): Record<string, pulumi.Output<string>> {
  const user = c.channel.consumerUser;
  const urls = pulumi
    .all([args.passwords, args.amqpEndpoints])
    .apply(([p, hosts]) =>
      hosts
        .map((host) => amqpUrl(user, p[user], host, args.alerting.vhost, args.ca !== undefined))
        .join("\n"),
    );
  return {
    "amqp-url": pulumi.secret(urls),
    ...(args.ca === undefined ? {} : { [AMQP_CA_FILE]: pulumi.output(args.ca) }),
    ...Object.fromEntries(
      Object.entries(c.secretFiles).map(([f, v]) => [f, plain(v, `${c.channel.name}'s ${f}`)]),
    ),
  };
}
