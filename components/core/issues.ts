// Config errors, collected rather than thrown one at a time, so a user fixes a config in one pass.

export interface ConfigIssue {
  /** Where, e.g. `warren:topology.bindings[3].source`. */
  readonly path: string;
  /** Why, in plain words. */
  readonly message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.path}: ${issue.message}`;
}

/** Thrown (once, with every issue) when a config cannot be turned into a spec. */
export class ConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `invalid warren configuration (${issues.length} error${issues.length === 1 ? "" : "s"}):\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** JSON-ish rendering of a value for messages: short, quoted strings, never a secret. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "undefined";
  const s = JSON.stringify(value);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only functions and symbols get here, and String() names them
  return s === undefined ? String(value) : s.length > 60 ? s.slice(0, 57) + "..." : s;
}

/** Levenshtein distance, to suggest the intended key for a typo. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** ` (did you mean "x"?)` when one known word is close to the unknown one, else "". */
export function suggest(unknown: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(unknown.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(unknown.length / 3))
    ? ` (did you mean ${JSON.stringify(best)}?)`
    : "";
}
