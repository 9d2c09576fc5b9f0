// Reading one environment variable at a time into typed values, collecting errors that name the
// variable. Secrets may come from a file (`<NAME>_FILE`), as Kubernetes and Docker mount them.
import * as fs from "node:fs";

export type Env = Readonly<Record<string, string | undefined>>;

export const DURATION = /^(\d+)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration such as `250ms`, `5s`, `30m`, `1h`; undefined if it is not one. */
export function durationMs(text: string): number | undefined {
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

/**
 * A CA certificate file for amqps:// URLs (the dispatcher's WARREN_AMQP_CA_FILE, `warren alert
 * --ca`): its PEM, and what is wrong with it: unreadable, no PEM certificate in it, or given for
 * amqp:// URLs, which do not use it.
 */
export function readAmqpCa(
  file: string,
  urls: readonly string[],
): { readonly pem?: string; readonly problems: string[] } {
  let pem: string;
  try {
    pem = fs.readFileSync(file, "utf8");
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return { problems: [`cannot read ${JSON.stringify(file)}: ${why}`] };
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----"))
    return { problems: [`${JSON.stringify(file)} holds no PEM certificate`] };
  const plain = urls.some((u) => !u.startsWith("amqps://"));
  return { pem, problems: plain ? ["is for amqps:// URLs; some of the URLs are amqp://"] : [] };
}

/** Reads variables, remembering which ones were consulted and every problem found. */
export class EnvReader {
  readonly errors: string[] = [];
  /** Names this reader knows (read or declared), for the unknown-variable check. */
  readonly known = new Set<string>();
  /** Secrets read, to keep out of logs. */
  readonly secrets: string[] = [];

  constructor(private readonly env: Env) {}

  fail(name: string, message: string): void {
    this.errors.push(`${name}: ${message}`);
  }

  /** The raw value; empty strings count as unset unless `keepEmpty`. */
  raw(name: string, keepEmpty = false): string | undefined {
    this.known.add(name);
    const v = this.env[name];
    if (v === undefined) return undefined;
    return v === "" && !keepEmpty ? undefined : v;
  }

  string(name: string, opts: { required: true }): string;
  string(name: string, opts?: { required?: false; default?: string }): string | undefined;
  string(name: string, opts: { required?: boolean; default?: string } = {}): string | undefined {
    const v = this.raw(name);
    if (v === undefined) {
      if (opts.required) this.fail(name, "is required");
      return opts.default;
    }
    return v;
  }

  /**
   * A secret from `name` or from the file named by `${name}_FILE` (trailing newline removed).
   * Setting both is an error: which one wins would be a guess.
   */
  secret(name: string, opts: { required: boolean }): string | undefined {
    const direct = this.raw(name);
    const file = this.raw(`${name}_FILE`);
    if (direct !== undefined && file !== undefined) {
      this.fail(name, `set either ${name} or ${name}_FILE, not both`);
      return undefined;
    }
    let value = direct;
    if (file !== undefined) {
      try {
        value = fs.readFileSync(file, "utf8").replace(/\r?\n$/, "");
      } catch (e) {
        this.fail(
          `${name}_FILE`,
          `cannot read ${JSON.stringify(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
        return undefined;
      }
      if (value === "") {
        this.fail(`${name}_FILE`, `${JSON.stringify(file)} is empty`);
        return undefined;
      }
    }
    if (value === undefined) {
      if (opts.required) this.fail(name, `is required (or ${name}_FILE, a file holding it)`);
      return undefined;
    }
    this.secrets.push(value);
    return value;
  }

  int(name: string, def: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
      this.fail(name, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
      return def;
    }
    return Number(v);
  }

  /** A duration in milliseconds, at least `minMs`. */
  duration(name: string, def: string, minMs = 1): number {
    const v = this.raw(name) ?? def;
    const ms = durationMs(v.trim());
    if (ms === undefined || ms < minMs) {
      this.fail(
        name,
        `must be a duration such as "500ms", "10s", "5m" or "1h"${minMs > 1 ? ` of at least ${minMs}ms` : ""}, got ${JSON.stringify(v)}`,
      );
      return durationMs(def)!;
    }
    return ms;
  }

  oneOf<T extends string>(name: string, values: readonly T[], def?: T): T | undefined {
    const v = this.raw(name);
    if (v === undefined) {
      if (def === undefined) this.fail(name, `is required: one of ${values.join(", ")}`);
      return def;
    }
    if (!(values as readonly string[]).includes(v)) {
      this.fail(
        name,
        `must be one of ${values.join(", ")}, got ${JSON.stringify(v)}${suggest(v, values)}`,
      );
      return def;
    }
    return v as T;
  }

  /** An http(s) URL without credentials in it (fetch refuses those; use a token instead). */
  httpUrl(name: string, value: string | undefined): URL | undefined {
    if (value === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      // The value may be secret (webhook keys live in the URL): do not echo it.
      this.fail(name, "is not a valid URL");
      return undefined;
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      this.fail(name, `must be an http:// or https:// URL, not ${u.protocol}//`);
      return undefined;
    }
    if (u.username || u.password) {
      this.fail(name, "must not hold credentials (user:password@); use the token setting");
      return undefined;
    }
    return u;
  }

  /** Declares names that are valid although this configuration did not read them. */
  declare(...names: string[]): void {
    for (const n of names) this.known.add(n);
  }
}

/** ` (did you mean "X"?)` when a candidate is close to `s`, else "". */
export function suggest(s: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(s, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(s.length / 4))
    ? ` (did you mean ${JSON.stringify(best)}?)`
    : "";
}

function editDistance(a: string, b: string): number {
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
