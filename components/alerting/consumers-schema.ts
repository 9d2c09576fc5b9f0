// `warren:consumers`: the dispatcher deployments that deliver each channel's alerts. Targets that
// hold tokens (webhook URLs, gateway tokens, SMTP passwords) are secrets: set the whole key with
// `pulumi config set --secret --path warren:consumers.channels.sms.target.token ...`.
import { z } from "zod";
import { pinnedImage } from "../core/images";
import { secretValue } from "../core/secret";

export const CHANNEL_KINDS = ["wecom", "dingtalk", "wechat", "email", "sms", "phone"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

const quantity = z
  .string()
  .regex(
    /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/,
    "must be a Kubernetes quantity such as 250m, 1, 256Mi",
  );

const resources = z
  .object({
    requests: z
      .object({ cpu: quantity.default("100m"), memory: quantity.default("128Mi") })
      .strict()
      .default({}),
    limits: z
      .object({ cpu: quantity.default("500m"), memory: quantity.default("256Mi") })
      .strict()
      .default({}),
  })
  .strict();

const target = z
  .object({
    /** wecom, dingtalk: the robot webhook URL (holds the token: secret). */
    webhookUrl: secretValue.optional(),
    /** dingtalk: the signing secret. */
    secret: secretValue.optional(),
    /** wechat, sms, phone: the HTTP gateway URL (secret if it holds a token). */
    url: secretValue.optional(),
    /** wechat, sms, phone: the JSON payload template (`{{title}}`, `{{severity}}`, …). */
    template: z.string().optional(),
    /** wechat, sms, phone: a bearer token for the gateway. */
    token: secretValue.optional(),
    /** email: SMTP server. */
    smtpHost: z.string().optional(),
    smtpPort: z.number().int().min(1).max(65535).optional(),
    smtpTls: z.enum(["starttls", "implicit", "none"]).optional(),
    smtpUser: z.string().optional(),
    smtpPassword: secretValue.optional(),
    from: z.string().optional(),
    to: z.array(z.string()).optional(),
  })
  .strict();

const channel = z
  .object({
    /** What delivers the channel: a kind the dispatcher knows. @default the channel's name */
    kind: z.enum(CHANNEL_KINDS).optional(),
    /** Consumer pods/containers. @default 1 */
    replicas: z.number().int().min(1).max(100).optional(),
    /** Unacknowledged alerts per AMQP channel. @default 10 */
    prefetch: z.number().int().min(1).max(65535).optional(),
    /** AMQP channels per connection, consuming in parallel. @default 2 */
    concurrency: z.number().int().min(1).max(64).optional(),
    target,
    resources: resources.optional(),
    /** Kubernetes only: a HorizontalPodAutoscaler on CPU between replicas and maxReplicas. */
    autoscale: z
      .object({
        maxReplicas: z.number().int().min(2).max(100),
        cpuUtilization: z.number().int().min(10).max(100).default(70),
      })
      .strict()
      .optional(),
  })
  .strict();

export const consumersSchema = z
  .object({
    /** The dispatcher image (this project's apps/dispatcher, or your own with the same contract); pinned. */
    image: pinnedImage("warren/dispatcher:0.1.0").default("warren/dispatcher:0.1.0"),
    /** Kubernetes namespace of the consumers. @default the cluster's */
    namespace: z.string().optional(),
    /** Defaults for every channel. */
    replicas: z.number().int().min(1).max(100).default(1),
    prefetch: z.number().int().min(1).max(65535).default(10),
    concurrency: z.number().int().min(1).max(64).default(2),
    resources: resources.default({}),
    /** One entry per alerting channel that gets a consumer. */
    channels: z.record(channel).default({}),
  })
  .strict();

export type ConsumersConfig = z.output<typeof consumersSchema>;
export type ConsumerChannelConfig = z.output<typeof channel>;
