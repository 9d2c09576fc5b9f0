// Structured logs: one JSON object per line on stdout. Every line passes through redaction of the
// secrets the dispatcher knows (AMQP URL and password, webhook URLs, tokens), so an error message
// that happens to quote one never reaches the log.

export type Level = "debug" | "info" | "warn" | "error";
export const LEVELS: readonly Level[] = ["debug", "info", "warn", "error"];

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Fields): Logger;
}

export interface LoggerOptions {
  /** Lowest level written. @default "info" */
  readonly level?: Level;
  /** Where each line goes (with its trailing newline). @default stdout */
  readonly write?: (line: string) => void;
  /** Replaces every occurrence of these strings (and their encoded forms) with `[redacted]`. */
  readonly redactor?: Redactor;
}

/** Replaces known secrets in text. */
export class Redactor {
  private readonly needles: string[] = [];

  /** Registers a secret; values shorter than 4 characters are ignored (they would mask noise). */
  add(secret: string | undefined): this {
    if (!secret || secret.length < 4) return this;
    // The secret as written, as it looks inside a JSON string, and URL-encoded (as in URLs).
    for (const form of [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]) {
      if (!this.needles.includes(form)) this.needles.push(form);
    }
    // Longest first, so a URL is masked whole before the password inside it.
    this.needles.sort((a, b) => b.length - a.length);
    return this;
  }

  /** Adds a URL and the password and query values inside it. */
  addUrl(raw: string | undefined): this {
    if (!raw) return this;
    this.add(raw);
    try {
      const u = new URL(raw);
      if (u.password) this.add(decodeURIComponent(u.password));
      for (const [, v] of u.searchParams) this.add(v);
    } catch {
      // Not a URL: the whole string is registered already.
    }
    return this;
  }

  redact(text: string): string {
    let out = text;
    for (const n of this.needles) if (out.includes(n)) out = out.split(n).join("[redacted]");
    return out;
  }
}

function serializeError(e: Error): Fields {
  const out: Fields = { message: e.message, name: e.name };
  const code = (e as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof Error) out.cause = serializeError(cause);
  return out;
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return serializeError(value);
  if (typeof value === "bigint") return value.toString();
  return value;
}

export function createLogger(opts: LoggerOptions = {}, base: Fields = {}): Logger {
  const min = LEVELS.indexOf(opts.level ?? "info");
  const write = opts.write ?? ((line: string) => void process.stdout.write(line));
  const redactor = opts.redactor ?? new Redactor();
  const emit = (level: Level, msg: string, fields?: Fields) => {
    if (LEVELS.indexOf(level) < min) return;
    const line = JSON.stringify(
      { time: new Date().toISOString(), level, msg, ...base, ...fields },
      replacer,
    );
    write(redactor.redact(line) + "\n");
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger({ ...opts, redactor }, { ...base, ...fields }),
  };
}
