// Defaults shared by the rules' configSchemas: the names warren's alerting platform uses. A stack
// with other names sets them in its policy config (policies/<environment>.json).
import type { PolicyConfigSchema } from "@pulumi/policy";

export const DEFAULTS = {
  adminUsers: [] as string[],
  producerUsers: ["alerts-producer"],
  consumerUserPrefix: "alerts-consumer-",
  alertsExchange: "alerts",
  /** The channel queues: `alerts.<channel>`, not the retry, parked and unrouted ones. */
  channelQueuePattern: "^alerts\\.(?!retry$|parked$|unrouted$|requeue$)[a-z][a-z0-9-]*$",
  severities: ["info", "warning", "error", "critical"],
};

type Props = PolicyConfigSchema["properties"];

export const schema = {
  adminUsers: { type: "array", items: { type: "string" }, default: DEFAULTS.adminUsers } as Props[string],
  producerUsers: { type: "array", items: { type: "string" }, default: DEFAULTS.producerUsers } as Props[string],
  consumerUserPrefix: { type: "string", default: DEFAULTS.consumerUserPrefix } as Props[string],
  alertsExchange: { type: "string", default: DEFAULTS.alertsExchange } as Props[string],
  channelQueuePattern: { type: "string", default: DEFAULTS.channelQueuePattern } as Props[string],
  severities: { type: "array", items: { type: "string" }, default: DEFAULTS.severities } as Props[string],
};

/** Config with defaults filled in (the engine fills them from the schema; unit tests may not). */
export function withDefaults<T extends object>(given: Partial<T> | undefined, defaults: T): T {
  return { ...defaults, ...(given ?? {}) };
}
