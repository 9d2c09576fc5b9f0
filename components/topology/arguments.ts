// Typed rules for queue arguments and policy definitions: the same setting is `x-message-ttl` as
// a queue argument and `message-ttl` in a policy, so one table serves both.
import { show } from "../core/issues";
import type { ArgValue, QueueType } from "./spec";

type Check = (value: ArgValue) => string | undefined;

const MAX_U32 = 2 ** 32 - 1;

const intIn =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === "number" && Number.isInteger(v) && v >= min && v <= max
      ? undefined
      : min === 0
        ? `must be a non-negative integer, got ${show(v)}`
        : `must be an integer from ${min} to ${max}, got ${show(v)}`;

const oneOf =
  (...allowed: readonly (string | number)[]): Check =>
  (v) =>
    allowed.includes(v as string | number)
      ? undefined
      : `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${show(v)}`;

const str: Check = (v) => (typeof v === "string" ? undefined : `must be a string, got ${show(v)}`);
const bool: Check = (v) =>
  typeof v === "boolean" ? undefined : `must be true or false, got ${show(v)}`;
const strList: Check = (v) =>
  Array.isArray(v) && v.every((x) => typeof x === "string")
    ? undefined
    : `must be a list of strings, got ${show(v)}`;
const streamAge: Check = (v) =>
  typeof v === "string" && /^\d+[YMDhms]$/.test(v)
    ? undefined
    : `must be like "7D", "12h" or "30m", got ${show(v)}`;

export interface SettingRule {
  readonly check: Check;
  /** Queue types the setting applies to; undefined = all. */
  readonly queueTypes?: readonly QueueType[];
  /** The value names an exchange that must be declared in the same vhost. */
  readonly exchangeRef?: boolean;
  /** Only valid in policies (not as a queue argument). */
  readonly policyOnly?: boolean;
  /** Only valid as a queue argument (not in a policy). */
  readonly argumentOnly?: boolean;
  /** Applies to exchanges rather than queues. */
  readonly exchange?: boolean;
  /** Allowed in operator policies. */
  readonly operator?: boolean;
}

/** Keyed by the policy-definition name; queue arguments are the same with an `x-` prefix. */
export const SETTINGS: Readonly<Record<string, SettingRule>> = {
  "message-ttl": { check: intIn(0, MAX_U32), operator: true },
  expires: { check: intIn(1, MAX_U32), operator: true },
  "max-length": { check: intIn(0, Number.MAX_SAFE_INTEGER), operator: true },
  "max-length-bytes": { check: intIn(0, Number.MAX_SAFE_INTEGER), operator: true },
  overflow: { check: oneOf("drop-head", "reject-publish", "reject-publish-dlx"), operator: true },
  "dead-letter-exchange": { check: str, exchangeRef: true },
  "dead-letter-routing-key": { check: str },
  "dead-letter-strategy": { check: oneOf("at-most-once", "at-least-once"), queueTypes: ["quorum"] },
  "max-priority": { check: intIn(1, 255), queueTypes: ["classic"], argumentOnly: true },
  "queue-mode": { check: oneOf("default", "lazy"), queueTypes: ["classic"] },
  "queue-version": { check: oneOf(1, 2), queueTypes: ["classic"] },
  "single-active-consumer": { check: bool, argumentOnly: true },
  "queue-type": { check: oneOf("classic", "quorum", "stream"), argumentOnly: true },
  "delivery-limit": { check: intIn(0, MAX_U32), queueTypes: ["quorum"], operator: true },
  "quorum-initial-group-size": { check: intIn(1, 255), queueTypes: ["quorum"], argumentOnly: true },
  "initial-cluster-size": { check: intIn(1, 255), queueTypes: ["stream"], argumentOnly: true },
  "max-age": { check: streamAge, queueTypes: ["stream"] },
  "stream-max-segment-size-bytes": { check: intIn(1, MAX_U32), queueTypes: ["stream"] },
  "queue-leader-locator": { check: oneOf("client-local", "balanced") },
  "queue-master-locator": { check: oneOf("min-masters", "client-local", "random") },
  "max-in-memory-length": { check: intIn(0, MAX_U32), queueTypes: ["quorum"], operator: true },
  "max-in-memory-bytes": {
    check: intIn(0, Number.MAX_SAFE_INTEGER),
    queueTypes: ["quorum"],
    operator: true,
  },
  "consumer-timeout": { check: intIn(1, MAX_U32), policyOnly: true },
  "alternate-exchange": { check: str, exchangeRef: true, exchange: true, policyOnly: true },
  "federation-upstream": { check: str, policyOnly: true },
  "federation-upstream-set": { check: str, policyOnly: true },
  "ha-mode": { check: oneOf("all", "exactly", "nodes"), policyOnly: true, queueTypes: ["classic"] },
  "ha-params": {
    check: (v) => (typeof v === "number" ? intIn(1, 255)(v) : strList(v)),
    policyOnly: true,
  },
  "ha-sync-mode": {
    check: oneOf("manual", "automatic"),
    policyOnly: true,
    queueTypes: ["classic"],
  },
  "ha-sync-batch-size": { check: intIn(1, MAX_U32), policyOnly: true },
  "ha-promote-on-shutdown": { check: oneOf("when-synced", "always"), policyOnly: true },
  "ha-promote-on-failure": { check: oneOf("when-synced", "always"), policyOnly: true },
};

export const QUEUE_ARGUMENT_NAMES: readonly string[] = Object.entries(SETTINGS)
  .filter(([, r]) => !r.policyOnly)
  .map(([k]) => `x-${k}`);

export const POLICY_KEYS: readonly string[] = Object.entries(SETTINGS)
  .filter(([, r]) => !r.argumentOnly)
  .map(([k]) => k);
export const OPERATOR_POLICY_KEYS: readonly string[] = Object.entries(SETTINGS)
  .filter(([, r]) => r.operator)
  .map(([k]) => k);

/** The rule for a queue argument name (`x-message-ttl`), or undefined when it is not one. */
export function queueArgumentRule(arg: string): SettingRule | undefined {
  if (!arg.startsWith("x-")) return undefined;
  const rule = SETTINGS[arg.slice(2)];
  return rule && !rule.policyOnly ? rule : undefined;
}
