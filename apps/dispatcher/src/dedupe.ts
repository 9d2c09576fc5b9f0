// De-duplication: a bounded window of the alert ids this dispatcher DELIVERED recently. Delivery
// is at least once (a producer republishes after a lost connection; the broker redelivers after a
// lost ack), so the same alert can come twice; an id in the window was accepted by the target
// already and can be acked without sending it again. Only delivered ids go in: a retried or
// parked alert was not delivered, and its next copy must pass. Pure: no I/O, the clock injected.

export interface DedupeOptions {
  /** Ids kept at most; the least recently remembered goes first. @default 10_000 */
  readonly maxEntries?: number;
  /** How long an id is kept after it was remembered. @default 600_000 (10 min) */
  readonly maxAgeMs?: number;
  /** Milliseconds from a monotonic clock. @default performance.now */
  readonly now?: () => number;
}

/**
 * `seen(id)`: was `id` remembered less than `maxAgeMs` ago and is it among the last `maxEntries`
 * remembered? `remember(id)`: record a delivery (again: moves it to the newest end, restarts its
 * age). O(1) amortised per call: a Map keeps insertion order, which is also age order, so evicting
 * is always from the front.
 */
export class DeliveredIds {
  private readonly at = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: DedupeOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxAgeMs = options.maxAgeMs ?? 600_000;
    this.now = options.now ?? (() => performance.now());
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1)
      throw new RangeError(`maxEntries: must be a positive integer, got ${this.maxEntries}`);
    if (!(this.maxAgeMs > 0))
      throw new RangeError(`maxAgeMs: must be positive, got ${this.maxAgeMs}`);
  }

  /** Ids in the window (after dropping the expired ones). */
  get size(): number {
    this.expire(this.now());
    return this.at.size;
  }

  /** True if `id` was delivered within the window. Does not refresh it. */
  seen(id: string): boolean {
    this.expire(this.now());
    return this.at.has(id);
  }

  /** Records that `id` was delivered (accepted by the target). */
  remember(id: string): void {
    const t = this.now();
    this.expire(t);
    // Delete first, so a second delivery moves to the newest end instead of keeping its old place.
    this.at.delete(id);
    this.at.set(id, t);
    if (this.at.size > this.maxEntries) this.at.delete(this.at.keys().next().value as string);
  }

  private expire(t: number): void {
    for (const [id, at] of this.at) {
      if (t - at < this.maxAgeMs) return;
      this.at.delete(id);
    }
  }
}
