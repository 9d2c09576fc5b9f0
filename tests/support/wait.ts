// Waiting in tests: a pause, and polling a condition until it holds, with a deadline that names
// what was awaited.

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface UntilOptions {
  /**
   * A check that throws counts as "not yet", and the last error is named on timeout: for probes
   * that fail while the thing they look at is down (a fault test's node, a starting server).
   * Off by default, so a check's own bug fails the test at once.
   */
  readonly tolerateErrors?: boolean;
}

/**
 * Calls `check` every `everyMs` until it returns something other than `false` or `undefined`,
 * and returns that; rejects naming `what` once `timeoutMs` have passed.
 */
export async function until<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 20_000,
  everyMs = 50,
  opts: UntilOptions = {},
): Promise<Exclude<T, false | undefined>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as Exclude<T, false | undefined>;
    } catch (e) {
      if (!opts.tolerateErrors) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      const cause = last === undefined ? "" : ` (last error: ${(last as Error).message})`;
      throw new Error(`timed out waiting for ${what} (${timeoutMs / 1000} s)${cause}`);
    }
    await sleep(everyMs);
  }
}
