// Reconnect delays: exponential, capped, with "equal jitter" (half fixed, half random) so a fleet
// of dispatchers that lost the same broker does not reconnect in lockstep, yet never spins.
// https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/

/** Delay before reconnect attempt `attempt` (0 for the first retry); `random` in [0, 1). */
export function backoffMs(
  attempt: number,
  minMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
