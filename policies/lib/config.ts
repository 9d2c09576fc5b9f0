// Defaults shared by the rules' configSchemas: the names warren's alerting platform uses. A stack
// with other names sets them in its policy config (policies/<environment>.json).
// The values come from the alerting schema's own defaults, so the two cannot drift apart.
import type { PolicyConfigSchema } from "@pulumi/policy";
import { DEFAULT_SEVERITIES, channelQueuePattern } from "../../components/alerting/model";
import { alertingSchema } from "../../components/alerting/schema";

const alerting = alertingSchema.parse({});

export const DEFAULTS = {
  adminUsers: [] as string[],
  producerUsers: [alerting.users.producer],
  consumerUserPrefix: alerting.users.consumerPrefix,
  alertsExchange: alerting.exchange,
  /** The channel queues: `alerts.<channel>`, not the retry, parked and unrouted ones. */
  channelQueuePattern: channelQueuePattern(alerting.exchange),
  severities: [...DEFAULT_SEVERITIES] as string[],
};

type Props = PolicyConfigSchema["properties"];

export const schema = {
  adminUsers: {
    type: "array",
    items: { type: "string" },
    default: DEFAULTS.adminUsers,
  } as Props[string],
  producerUsers: {
    type: "array",
    items: { type: "string" },
    default: DEFAULTS.producerUsers,
  } as Props[string],
  consumerUserPrefix: { type: "string", default: DEFAULTS.consumerUserPrefix } as Props[string],
  alertsExchange: { type: "string", default: DEFAULTS.alertsExchange } as Props[string],
  channelQueuePattern: { type: "string", default: DEFAULTS.channelQueuePattern } as Props[string],
  severities: {
    type: "array",
    items: { type: "string" },
    default: DEFAULTS.severities,
  } as Props[string],
};

/** Config with defaults filled in (the engine fills them from the schema; unit tests may not). */
export function withDefaults<T extends object>(given: Partial<T> | undefined, defaults: T): T {
  return { ...defaults, ...(given ?? {}) };
}
