// What to do with a delivery, given how many attempts it has had and how this one went: pure
// decisions, no I/O (the consumer carries them out). README "Retries and parking".

/** How one delivery attempt to the target went. */
export type Outcome =
  | { readonly kind: "delivered" }
  /** Worth another try later: timeouts, connection errors, 5xx, 408, 429, rate limits. */
  | { readonly kind: "transient"; readonly reason: string }
  /** Will fail again: 4xx other than 408/429, a rejected recipient, a refused signature. */
  | { readonly kind: "permanent"; readonly reason: string };

/** The message is not an alert: no attempt was made. */
export interface Invalid {
  readonly kind: "invalid";
  readonly reason: string;
}

export interface RetryPolicy {
  /** The channel's name, first word of retry keys and the parked key. */
  readonly channel: string;
  /** Delay labels in order; attempt `n` that fails is retried after `delays[n-1]` (the last repeats). */
  readonly delays: readonly string[];
  /** Attempts before parking, at least 1. */
  readonly maxAttempts: number;
}

/**
 * Why an alert is parked: not an alert; refused for good by the target; out of attempts; or its
 * retry could not be routed (no retry queue for the delay: the topology and WARREN_RETRY_DELAYS
 * disagree), which must not turn into a loop.
 */
export type ParkOutcome = "invalid" | "permanent" | "exhausted" | "unroutable-retry";

export type Action =
  | { readonly kind: "ack" }
  /** Publish to the retry exchange with `routingKey`, header x-warren-attempt = `attempts`; then ack. */
  | {
      readonly kind: "retry";
      readonly routingKey: string;
      readonly delay: string;
      readonly attempts: number;
      readonly reason: string;
    }
  /** Publish to the parked exchange with `routingKey` and the reason headers; then ack. */
  | {
      readonly kind: "park";
      readonly routingKey: string;
      readonly outcome: ParkOutcome;
      readonly attempts: number;
      readonly reason: string;
    };

/**
 * The action for a delivery that had `attemptsBefore` earlier attempts (its x-warren-attempt
 * header) and ended with `result`.
 */
export function decide(
  policy: RetryPolicy,
  attemptsBefore: number,
  result: Outcome | Invalid,
): Action {
  const park = (outcome: ParkOutcome, attempts: number, reason: string): Action => ({
    kind: "park",
    routingKey: policy.channel,
    outcome,
    attempts,
    reason,
  });
  // Poison is parked at once: retrying cannot make it an alert.
  if (result.kind === "invalid") return park("invalid", attemptsBefore, result.reason);
  const attempt = attemptsBefore + 1;
  switch (result.kind) {
    case "delivered":
      return { kind: "ack" };
    case "permanent":
      return park("permanent", attempt, result.reason);
    case "transient": {
      if (attempt >= policy.maxAttempts || policy.delays.length === 0)
        return park(
          "exhausted",
          attempt,
          `gave up after ${attempt} attempt${attempt === 1 ? "" : "s"}: ${result.reason}`,
        );
      const delay = policy.delays[Math.min(attempt, policy.delays.length) - 1];
      return {
        kind: "retry",
        routingKey: `${policy.channel}.${delay}`,
        delay,
        attempts: attempt,
        reason: result.reason,
      };
    }
  }
}

/** The park that replaces a retry the broker could not route. */
export function parkUnroutableRetry(
  policy: RetryPolicy,
  retry: Extract<Action, { kind: "retry" }>,
  exchange: string,
): Action {
  return {
    kind: "park",
    routingKey: policy.channel,
    outcome: "unroutable-retry",
    attempts: retry.attempts,
    reason: `exchange ${exchange} has no queue for routing key ${retry.routingKey} (after: ${retry.reason})`,
  };
}

export const ATTEMPT_HEADER = "x-warren-attempt";
export const REASON_HEADER = "x-warren-reason";
export const ATTEMPTS_HEADER = "x-warren-attempts";
export const OUTCOME_HEADER = "x-warren-outcome";

/**
 * Attempts already made, from the x-warren-attempt header: 0 when absent. A header that is not a
 * non-negative integer counts as 0 (and is overwritten on the next retry), so it cannot wedge a
 * message; `malformed` lets the caller log it.
 */
export function attemptsFrom(headers: Readonly<Record<string, unknown>> | undefined): {
  attempts: number;
  malformed: boolean;
} {
  const v = headers?.[ATTEMPT_HEADER];
  if (v === undefined) return { attempts: 0, malformed: false };
  const n =
    typeof v === "number" || typeof v === "bigint"
      ? Number(v)
      : typeof v === "string" && /^\d+$/.test(v)
        ? Number(v)
        : NaN;
  if (Number.isSafeInteger(n) && n >= 0) return { attempts: n, malformed: false };
  return { attempts: 0, malformed: true };
}

/**
 * Headers the broker manages (dead-letter history; quorum queues' delivery count): dropped on
 * republish, where the attempt header is what counts.
 */
const BROKER_HEADERS = [
  "x-delivery-count",
  "x-death",
  "x-first-death-exchange",
  "x-first-death-queue",
  "x-first-death-reason",
  "x-last-death-exchange",
  "x-last-death-queue",
  "x-last-death-reason",
];

/** The headers a republished copy carries: the producer's own, plus ours for `action`. */
export function republishHeaders(
  original: Readonly<Record<string, unknown>> | undefined,
  action: Extract<Action, { kind: "retry" | "park" }>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(original ?? {})) if (!BROKER_HEADERS.includes(k)) out[k] = v;
  out[REASON_HEADER] =
    action.reason.length > 1000 ? action.reason.slice(0, 999) + "…" : action.reason;
  if (action.kind === "retry") {
    out[ATTEMPT_HEADER] = action.attempts;
  } else {
    // A parked alert replayed into its queue (a shovel, an operator) starts with fresh attempts.
    delete out[ATTEMPT_HEADER];
    out[ATTEMPTS_HEADER] = action.attempts;
    out[OUTCOME_HEADER] = action.outcome;
  }
  return out;
}
