// The sink's diagnostics: one JSON line per event on stderr (stdout carries only the "listening"
// line a supervisor or test waits for), so `docker logs` and tests can both read them.

/** Writes `{"t": iso, "event", ...fields}` to stderr; an Error becomes its code and message. */
export function log(event: string, fields: Record<string, unknown> = {}): void {
  const flat: Record<string, unknown> = { t: new Date().toISOString(), event };
  for (const [k, v] of Object.entries(fields)) flat[k] = v instanceof Error ? describe(v) : v;
  process.stderr.write(JSON.stringify(flat) + "\n");
}

function describe(err: Error): { code?: unknown; message: string } {
  return { code: (err as NodeJS.ErrnoException).code, message: err.message };
}
