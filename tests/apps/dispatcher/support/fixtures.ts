// Shared test data and helpers for the dispatcher tests: alerts, configurations, logs, metrics.
import { parseConfig, type Config } from "../../../../apps/dispatcher/src/config";
import type { Dispatcher } from "../../../../apps/dispatcher/src/dispatcher";
import type { Alert } from "../../../../apps/dispatcher/src/schema";

export function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: "a-1",
    severity: "critical",
    title: "Disk full on db-1",
    body: "/var is at 99%",
    source: "prometheus",
    labels: { host: "db-1", team: "storage" },
    timestamp: "2024-05-01T12:00:00Z",
    ...over,
  };
}

/** A valid configuration from `env` (throws with the errors otherwise). */
export function configFrom(env: Record<string, string>): Config {
  const r = parseConfig(env);
  if (!r.ok) throw new Error(`bad test config:\n${r.errors.join("\n")}`);
  return r.config;
}

/** The dispatcher's health and metrics server, `path` on it (the dispatcher must be started). */
export function httpUrl(d: Dispatcher, path = ""): string {
  if (d.httpPort === undefined) throw new Error("the dispatcher's HTTP server is not listening");
  return `http://127.0.0.1:${d.httpPort}${path}`;
}

/** Collects log lines and parses them. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly write = (line: string) => void this.lines.push(line);
  get entries(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  messages(level?: string): string[] {
    return this.entries
      .filter((e) => level === undefined || e.level === level)
      .map((e) => String(e.msg));
  }
}

/** One value of a Prometheus metric from /metrics text, 0 when the series is absent. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (.+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const kv of (m[2] ?? "").match(/[\w]+="[^"]*"/g) ?? []) {
      const i = kv.indexOf("=");
      got[kv.slice(0, i)] = kv.slice(i + 2, -1);
    }
    if (
      Object.entries(labels).every(([k, v]) => got[k] === v) &&
      Object.keys(got).length === Object.keys(labels).length
    )
      return Number(m[3]);
  }
  return 0;
}
