// The alert message schema (README "Alert schema"). Strict: unknown keys, wrong types and
// timestamps that are not ISO 8601 with a zone are rejected, and such a message is parked at once.
import { z } from "zod";

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);

export const alertSchema = z
  .object({
    id: text(256).min(1, "must not be empty"),
    severity: text(64).min(1, "must not be empty"),
    title: text(1024).min(1, "must not be empty"),
    body: text(65_536),
    source: text(1024).min(1, "must not be empty"),
    labels: z.record(text(256).min(1, "label names must not be empty"), text(4096)),
    // A zone is required: an alert's age (the latency metric) cannot be known without one.
    timestamp: z.string().datetime({
      offset: true,
      message: "must be an ISO 8601 date-time with a zone, e.g. 2024-05-01T12:00:00Z",
    }),
  })
  .strict();

export type Alert = z.output<typeof alertSchema>;

export type ParsedAlert =
  { readonly ok: true; readonly alert: Alert } | { readonly ok: false; readonly reason: string };

/** Parses a message body: UTF-8 JSON holding one alert. Never throws. */
export function parseAlert(content: Buffer): ParsedAlert {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(content));
  } catch (e) {
    return { ok: false, reason: `invalid alert: not UTF-8 JSON (${(e as Error).message})` };
  }
  const r = alertSchema.safeParse(json);
  if (r.success) return { ok: true, alert: r.data };
  const issues = r.error.issues.map((i) => {
    if (i.code === "unrecognized_keys") return i.keys.map((k) => `${k}: unknown field`).join("; ");
    const path = i.path.length ? i.path.join(".") : "(message)";
    return `${path}: ${i.message}`;
  });
  return { ok: false, reason: `invalid alert: ${issues.join("; ")}` };
}
