// Payload templates for the HTTP gateways (WeChat, SMS, phone): JSON text with `{{placeholder}}`s
// replaced by the alert's fields, JSON-escaped, so a quote or newline in a title cannot break the
// payload. Checked at start-up: unknown placeholders and templates that do not render valid JSON
// are configuration errors, not parked alerts.
import { plainText, headline } from "./format";
import type { Alert } from "./schema";

/** Placeholders that insert a string's content (the template supplies the quotes). */
export const STRING_FIELDS = [
  "id",
  "severity",
  "title",
  "body",
  "source",
  "timestamp",
  "headline",
  "text",
] as const;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

export interface Template {
  render(alert: Alert): string;
}

function stringField(a: Alert, name: string): string {
  switch (name) {
    case "headline":
      return headline(a);
    case "text":
      return plainText(a);
    default:
      return (a as unknown as Record<string, string>)[name];
  }
}

/** JSON string content: `JSON.stringify` without the surrounding quotes. */
function escape(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** A sample with every character JSON must escape, to prove the template renders valid JSON. */
const SAMPLE: Alert = {
  id: 'id "1"\\',
  severity: "critical",
  title: 'Disk "full"\n\ttab \u0001',
  body: "line 1\nline 2 \\ \u2028",
  source: "src",
  labels: { host: 'db"1', "a.b": "x\ny" },
  timestamp: "2024-05-01T12:00:00Z",
};

/** Compiles a template; returns the problems instead when it cannot be used. */
export function compileTemplate(
  template: string,
): { ok: true; template: Template } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    const name = m[1];
    if (
      name === "labels" ||
      name.startsWith("labels.") ||
      (STRING_FIELDS as readonly string[]).includes(name)
    )
      continue;
    errors.push(
      `unknown placeholder {{${name}}}; use one of ${STRING_FIELDS.map((f) => `{{${f}}}`).join(", ")}, {{labels.<name>}} or {{labels}}`,
    );
  }
  if (errors.length) return { ok: false, errors };
  const render = (a: Alert) =>
    template.replace(PLACEHOLDER, (_all, name: string) => {
      // `{{labels}}` is a JSON object (no quotes around it); a missing label renders empty.
      if (name === "labels") return JSON.stringify(a.labels);
      if (name.startsWith("labels.")) {
        const key = name.slice("labels.".length);
        return escape(Object.hasOwn(a.labels, key) ? a.labels[key] : "");
      }
      return escape(stringField(a, name));
    });
  try {
    JSON.parse(render(SAMPLE));
  } catch (e) {
    return {
      ok: false,
      errors: [
        `does not render valid JSON (put string placeholders inside quotes: "{{title}}"): ${(e as Error).message}`,
      ],
    };
  }
  return { ok: true, template: { render } };
}

/** What a gateway receives when no template is set: the alert itself plus a ready-made text. */
export const DEFAULT_TEMPLATE =
  '{"id":"{{id}}","severity":"{{severity}}","title":"{{title}}","body":"{{body}}","source":"{{source}}",' +
  '"labels":{{labels}},"timestamp":"{{timestamp}}","text":"{{text}}"}';
