// How an alert reads in a chat message, an email or a text: pure functions, shared by adapters.
import type { Alert } from "./schema";

/** `[CRITICAL] Disk full on db-1`. */
export function headline(a: Alert): string {
  return `[${a.severity.toUpperCase()}] ${a.title}`;
}

/** `a=1, b=2`, sorted by name so the same alert always reads the same. */
export function labelList(a: Alert): string {
  return Object.keys(a.labels)
    .sort()
    .map((k) => `${k}=${a.labels[k]}`)
    .join(", ");
}

/** One text for SMS and voice gateways: the headline, then the body if any. */
export function plainText(a: Alert): string {
  return a.body === "" ? headline(a) : `${headline(a)}\n${a.body}`;
}

/** Markdown for the chat robots (WeCom and DingTalk read the same subset). */
export function markdown(a: Alert): string {
  const lines = [`### ${headline(a)}`];
  if (a.body !== "") lines.push("", a.body);
  lines.push("", `> source: ${a.source}`);
  if (Object.keys(a.labels).length) lines.push(`> labels: ${labelList(a)}`);
  lines.push(`> time: ${a.timestamp}`, `> id: ${a.id}`);
  return lines.join("\n");
}

/** The email body, plain text. */
export function emailText(a: Alert): string {
  const lines = [headline(a), ""];
  if (a.body !== "") lines.push(a.body, "");
  lines.push(`Source: ${a.source}`);
  if (Object.keys(a.labels).length) lines.push(`Labels: ${labelList(a)}`);
  lines.push(`Time: ${a.timestamp}`, `Alert ID: ${a.id}`);
  return lines.join("\n") + "\n";
}

/** Cuts `s` to at most `maxBytes` of UTF-8, on a character boundary, marking the cut with "…". */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s, "utf8") <= maxBytes) return s;
  const mark = "\n…";
  const budget = maxBytes - Buffer.byteLength(mark, "utf8");
  let out = "";
  let used = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch, "utf8");
    if (used + n > budget) break;
    out += ch;
    used += n;
  }
  return out + mark;
}
