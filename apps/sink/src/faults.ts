// Faults a test can order from the sink: fail the next N calls or every call for a while, answer
// the next N calls late. A "call" is a webhook POST or an SMTP message, counted once received in
// full; its fate is decided then, so a call already waiting out a delay keeps the fate it drew.

export interface Fate {
  /** How long to wait before answering. */
  readonly delayMs: number;
  /** Refuse it (HTTP 503 / SMTP 451) instead of accepting it. */
  readonly fail: boolean;
}

export interface FaultState {
  readonly failures: number;
  readonly failingUntil: string | null;
  readonly slow: { readonly ms: number; readonly count: number };
}

export class Faults {
  private failCount = 0;
  private failUntil = 0;
  private slowMs = 0;
  private slowCount = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Replaces the failure mode: the next `count` calls fail, and every call for `ms` from now. */
  setFail(count: number, ms: number): void {
    this.failCount = count;
    this.failUntil = ms > 0 ? this.now() + ms : 0;
  }

  /** Replaces the slow mode: the next `count` calls are answered `ms` late. */
  setSlow(ms: number, count: number): void {
    this.slowMs = ms;
    this.slowCount = count;
  }

  clear(): void {
    this.setFail(0, 0);
    this.setSlow(0, 0);
  }

  /**
   * The fate of a call that has just been received. A call inside the failing period fails without
   * using up the count; the count is used up by the calls after it.
   */
  next(): Fate {
    let delayMs = 0;
    if (this.slowCount > 0) {
      this.slowCount--;
      delayMs = this.slowMs;
    }
    let fail = this.now() < this.failUntil;
    if (!fail && this.failCount > 0) {
      this.failCount--;
      fail = true;
    }
    return { delayMs, fail };
  }

  state(): FaultState {
    const until = this.now() < this.failUntil ? new Date(this.failUntil).toISOString() : null;
    return {
      failures: this.failCount,
      failingUntil: until,
      slow: { ms: this.slowCount > 0 ? this.slowMs : 0, count: this.slowCount },
    };
  }
}
