// The producer's public result and statistics types.

export interface PublishOptions {
  /** The channel to address (`<severity>.<channel>`); default: every channel (`<severity>.all`). */
  readonly channel?: string;
  /** This publish's deadline instead of the producer's `publishTimeoutMs`. */
  readonly timeoutMs?: number;
}

export interface PublishResult {
  readonly id: string;
  /** Times the message was handed to the broker (1 unless it was republished). */
  readonly attempts: number;
  /** The node that confirmed it, without password. */
  readonly url: string;
}

export interface ProducerStats {
  /** Valid alerts accepted by publish(). */
  readonly published: number;
  readonly confirmed: number;
  /** Sends after the first, over all alerts (so duplicates are possible up to this many). */
  readonly republished: number;
  readonly unroutable: number;
  /** Rejected for another reason than `invalid` or `unroutable`. */
  readonly failed: number;
  /** Refused by the schema; never sent, not in `published`. */
  readonly invalid: number;
  /** Connections opened. */
  readonly connections: number;
  readonly inFlight: number;
  readonly queued: number;
  /** The current connection is blocked by a resource alarm. */
  readonly blocked: boolean;
}
