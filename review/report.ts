// `warren diff` reports: plain text for terminals and Markdown for a pull-request comment. Both
// put what needs an approval first (replaced and deleted queues, lost delivery), then access,
// then every object change per vhost. Pure: a Review in, a string out.
import { formatRoutes } from "../components/alerting/matrix";
import type { AccessFinding, RegexWidening } from "./access";
import { type FieldChange, type ObjectChange, showValue } from "./diff";
import type { Review } from "./review";
import {
  type KeyChange,
  type PairChange,
  type RoutingEffect,
  deliveringKeys,
} from "./routing-effect";

export interface ReportMeta {
  readonly stack: string;
  /** The base, e.g. `main (1a2b3c4)`. */
  readonly base: string;
  /** The new side, e.g. `working tree`. */
  readonly head: string;
  /** Where the stack file would be at the base, said when the base has none (a new stack). */
  readonly baseFile?: string;
}

/** How many newly matched names a finding lists before "and N more". */
const MAX_NAMES = 8;

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Markup of one format: how to quote a name or value and emphasise a phrase. */
interface Markup {
  readonly name: (s: string) => string;
  readonly value: (v: unknown) => string;
  readonly strong: (s: string) => string;
  /** A field name, e.g. `arguments.x-max-length`. */
  readonly field: (s: string) => string;
}

const TEXT: Markup = { name: (s) => s, value: showValue, strong: (s) => s, field: (s) => s };
const MD: Markup = {
  name: (s) => code(s),
  value: (v) => code(showValue(v)),
  strong: (s) => `**${s}**`,
  field: (s) => code(s),
};
/** Markdown without emphasis, for long lists. */
const MD_PLAIN: Markup = { ...MD, strong: (s) => s };

/** A Markdown code span that survives backticks in its content. */
export function code(s: string): string {
  const runs = s.match(/`+/g) ?? [];
  const fence = "`".repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad =
    s.startsWith("`") ||
    s.endsWith("`") ||
    (s.startsWith(" ") && s.endsWith(" ") && s.trim() !== "")
      ? " "
      : "";
  return `${fence}${pad}${s}${pad}${fence}`;
}

function fields(fs: readonly FieldChange[], m: Markup): string {
  return fs.map((f) => `${m.field(f.field)} ${m.value(f.before)} → ${m.value(f.after)}`).join(", ");
}

const where = (c: { vhost?: string; kind: string }, m: Markup) =>
  c.vhost === undefined || c.kind === "vhost" ? "" : ` in vhost ${m.name(c.vhost)}`;

/** What replacing or removing a queue, exchange or vhost does on the broker. */
function consequence(c: ObjectChange): string {
  const n = c.bindings ?? 0;
  const bindings = (verb: string) =>
    n
      ? `its ${plural(n, "binding", "bindings")} ${n === 1 ? "is" : "are"} ${verb} with it`
      : "it has no bindings";
  if (c.action === "replace") {
    if (c.kind === "vhost")
      return `Replaced because ${c.reason ?? "a setting changed that RabbitMQ cannot change in place"}.`;
    if (c.kind === "queue" && c.retained)
      return `prod retains queues on delete: the old queue stays, messages and all, and the broker refuses to redeclare it with other settings until it is migrated by hand; ${bindings("recreated")}.`;
    if (c.kind === "queue") return `Drops the queue's messages; ${bindings("recreated")}.`;
    return `Publishes to it fail while it is recreated; ${bindings("recreated")}.`;
  }
  if (c.kind === "queue" && c.retained)
    return `prod retains it on the broker, messages and all, no longer managed; ${bindings("deleted")}.`;
  if (c.kind === "queue") return `Deletes the queue and its messages; ${bindings("deleted")}.`;
  return `Publishes to it fail (the broker closes the channel: 404) until producers move; ${bindings("deleted")}.`;
}

function pair(p: PairChange, m: Markup): string {
  return `${m.name(p.severity)} × ${m.name(p.channel)} (${p.keys.map(m.name).join(", ")})`;
}

function landing(k: KeyChange, m: Markup): string {
  return `${m.name(k.key)} → ${k.queues.length ? k.queues.map(m.name).join(", ") : "dropped (no queue)"}`;
}

function regex(w: RegexWidening, m: Markup): string {
  const names = w.newlyMatched.slice(0, MAX_NAMES).map(m.name).join(", ");
  const more =
    w.newlyMatched.length > MAX_NAMES ? ` and ${w.newlyMatched.length - MAX_NAMES} more` : "";
  const head =
    w.before === undefined
      ? `${m.field(w.field)} ${m.value(w.after)}`
      : `${m.field(w.field)} ${m.value(w.before)} → ${m.value(w.after)}`;
  const matches = w.newlyMatched.length
    ? `${w.before === undefined ? "matches" : "now also matches"} ${names}${more}`
    : "";
  const open = w.openEnded ? "names not declared here (not a list of literal names)" : "";
  return `${head}: ${[matches, open].filter(Boolean).join("; and ")}`;
}

function finding(f: AccessFinding, m: Markup): string {
  const subject = `${f.kind} ${m.name(f.user)}${f.exchange === undefined ? "" : ` on ${m.name(f.exchange)}`}`;
  const note = f.note ? ` (${f.note})` : "";
  const regexes = f.regexes.length ? `: ${f.regexes.map((w) => regex(w, m)).join("; ")}` : "";
  return `${m.strong(subject)}${where(f, m)}${note}${regexes}`;
}

/** `queue alerts.sms (quorum)`, `policy p: definition.message-ttl 5000 → 10000`; `located`: with its vhost. */
function describeChange(c: ObjectChange, m: Markup, located = false): string {
  const about =
    c.action === "add" || c.action === "remove"
      ? [
          ...(c.summary ? [c.summary] : []),
          ...(c.attributes ?? []).map(([k, v]) => `${m.field(k)} ${m.value(v)}`),
        ]
      : [];
  const summary = about.length ? ` (${about.join(", ")})` : "";
  const changed = c.fields.length ? `: ${fields(c.fields, m)}` : "";
  return `${m.strong(`${c.kind} ${m.name(c.name)}`)}${located ? where(c, m) : ""}${summary}${changed}`;
}

const routingUnchanged = (r: RoutingEffect) =>
  !r.entry &&
  !r.lost.length &&
  !r.gained.length &&
  !r.becameUnroutable.length &&
  !r.noLongerUnroutable.length &&
  !!r.before === !!r.after;

/** Changes grouped by vhost (users last), in the diff's order. */
function groups(changes: readonly ObjectChange[]): [string | undefined, ObjectChange[]][] {
  const out = new Map<string | undefined, ObjectChange[]>();
  for (const c of changes) out.set(c.vhost, [...(out.get(c.vhost) ?? []), c]);
  return [...out];
}

const replaced = (r: Review) => r.diff.changes.filter((c) => c.action === "replace");
const deleted = (r: Review) =>
  r.diff.changes.filter(
    (c) => c.action === "remove" && (c.kind === "queue" || c.kind === "exchange"),
  );

function baseLine(r: Review, meta: ReportMeta, m: Markup): string {
  const base = r.newStack
    ? `${meta.base}, which has no ${m.name(meta.baseFile ?? `Pulumi.${meta.stack}.yaml`)} (a new stack)`
    : meta.base;
  return `base ${base} → ${meta.head}`;
}

// ---------------------------------------------------------------------------------------------
// Text

const TEXT_MARKS: Record<ObjectChange["action"], string> = {
  add: "+",
  remove: "-",
  update: "~",
  replace: "!",
};

export function textReport(r: Review, meta: ReportMeta): string {
  const out: string[] = [`warren diff: stack ${meta.stack}, ${baseLine(r, meta, TEXT)}`];
  out.push(
    r.approvals.length
      ? `Needs approval: ${r.approvals.join(", ")}.`
      : "Nothing that needs approval.",
  );
  const section = (title: string, lines: string[]) => {
    if (lines.length) out.push("", title, ...lines);
  };

  section(
    "Replaced (deleted and recreated):",
    replaced(r).flatMap((c) => [`  ${describeChange(c, TEXT, true)}`, `    ${consequence(c)}`]),
  );
  section(
    "Deleted queues and exchanges:",
    deleted(r).flatMap((c) => [`  ${c.kind} ${c.name}${where(c, TEXT)}`, `    ${consequence(c)}`]),
  );
  if (r.routing)
    section(
      routingUnchanged(r.routing)
        ? "Alert routing: unchanged (x: delivered by <severity>.all):"
        : "Alert routing (x: delivered by <severity>.all):",
      textRouting(r.routing),
    );
  section(
    "Access widened:",
    r.access.map((f) => `  ${finding(f, TEXT)}`),
  );
  section(
    "Stack settings:",
    r.diff.settings.map((f) => `  ${fields([f], TEXT)}`),
  );
  if (r.diff.changes.length) {
    section(
      "Changes (+ added, - removed, ~ updated in place, ! replaced):",
      groups(r.diff.changes).flatMap(([vhost, cs]) => [
        `  ${vhost === undefined ? "users" : `vhost ${vhost}`}`,
        ...cs.map((c) => `    ${TEXT_MARKS[c.action]} ${describeChange(c, TEXT)}`),
      ]),
    );
  } else {
    out.push("", "No changes to broker objects.");
  }
  return out.join("\n");
}

function textRouting(e: RoutingEffect): string[] {
  const matrix = (s: RoutingEffect["before"]) =>
    s
      ? formatRoutes(s.alerting, s.routes)
          .split("\n")
          .map((l) => `    ${l}`)
      : ["    (no alerting)"];
  if (routingUnchanged(e)) return matrix(e.after);
  const lines = ["  before:", ...matrix(e.before), "  after:", ...matrix(e.after)];
  if (e.entry) lines.push(`  producers publish to ${e.entry.before} → ${e.entry.after}`);
  const list = (label: string, items: string[]) => {
    if (items.length) lines.push(`  ${label}:`, ...items.map((i) => `    ${i}`));
  };
  list(
    "loses delivery",
    e.lost.map((p) => pair(p, TEXT)),
  );
  list(
    "gains delivery",
    e.gained.map((p) => pair(p, TEXT)),
  );
  list(
    "becomes unroutable",
    e.becameUnroutable.map((k) => landing(k, TEXT)),
  );
  list(
    "no longer unroutable",
    e.noLongerUnroutable.map((k) => landing(k, TEXT)),
  );
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Markdown

const MD_MARKS: Record<ObjectChange["action"], string> = {
  add: "➕",
  remove: "➖",
  update: "✏️",
  replace: "♻️",
};

export function markdownReport(r: Review, meta: ReportMeta, graph?: string): string {
  const out: string[] = [
    // Lets CI find and update its own comment rather than adding one per push.
    `<!-- warren-diff stack=${meta.stack.replace(/-->/g, "")} -->`,
    `### warren diff: stack ${code(meta.stack)}`,
    "",
    baseLine(r, meta, MD),
    "",
  ];
  if (r.approvals.length)
    out.push("> [!CAUTION]", `> **Needs approval:** ${r.approvals.join(", ")}.`);
  else out.push("> [!NOTE]", "> Nothing that needs approval.");
  const section = (title: string, lines: string[]) => {
    if (lines.length) out.push("", `#### ${title}`, "", ...lines);
  };

  section(
    "♻️ Replaced (deleted and recreated)",
    replaced(r).map((c) => `- ${describeChange(c, MD, true)}. ${consequence(c)}`),
  );
  section(
    "🗑️ Deleted queues and exchanges",
    deleted(r).map((c) => `- **${c.kind} ${code(c.name)}**${where(c, MD)}. ${consequence(c)}`),
  );
  if (r.routing)
    section(
      routingUnchanged(r.routing) ? "📬 Alert routing: unchanged" : "📬 Alert routing",
      markdownRouting(r.routing),
    );
  section(
    "🔓 Access widened",
    r.access.map((f) => `- ${finding(f, MD)}`),
  );
  section(
    "⚙️ Stack settings",
    r.diff.settings.map((f) => `- ${fields([f], MD)}`),
  );
  if (r.diff.changes.length) {
    section(
      "📋 Changes by vhost",
      groups(r.diff.changes).flatMap(([vhost, cs], i) => [
        ...(i ? [""] : []),
        `**${vhost === undefined ? "users" : `vhost ${code(vhost)}`}**`,
        "",
        ...cs.map((c) => `- ${MD_MARKS[c.action]} ${describeChange(c, MD_PLAIN)}`),
      ]),
    );
    out.push(
      "",
      `${MD_MARKS.add} added · ${MD_MARKS.remove} removed · ${MD_MARKS.update} updated in place · ${MD_MARKS.replace} replaced`,
    );
  } else {
    out.push("", "No changes to broker objects.");
  }
  if (graph !== undefined) {
    out.push(
      "",
      "<details><summary>Topology after this change (Mermaid)</summary>",
      "",
      "```mermaid",
      graph,
      "```",
      "",
      "</details>",
    );
  }
  return out.join("\n");
}

function markdownRouting(e: RoutingEffect): string[] {
  const cell = (severity: string, channel: string) => {
    const was = deliveringKeys(e.before, severity, channel).length > 0;
    const is = deliveringKeys(e.after, severity, channel).length > 0;
    const mark = (b: boolean) => (b ? "✅" : "❌");
    return was === is ? mark(is) : `${mark(was)} → **${mark(is)}**`;
  };
  const lines = [
    `| severity | ${e.channels.map(code).join(" | ")} |`,
    `| --- | ${e.channels.map(() => ":---:").join(" | ")} |`,
    ...e.severities.map((s) => `| ${code(s)} | ${e.channels.map((c) => cell(s, c)).join(" | ")} |`),
    "",
    `✅ delivered, ❌ not delivered (by \`<severity>.all\` or \`<severity>.<channel>\`)${routingUnchanged(e) ? "" : "; before → after"}.`,
  ];
  if (!e.before) lines.push("", "No alerting before this change.");
  if (!e.after) lines.push("", "No alerting after this change.");
  const items: string[] = [];
  if (e.entry)
    items.push(`- **Producers publish to** ${code(e.entry.before)} → ${code(e.entry.after)}`);
  for (const p of e.lost) items.push(`- **Loses delivery:** ${pair(p, MD)}`);
  for (const p of e.gained) items.push(`- Gains delivery: ${pair(p, MD)}`);
  for (const k of e.becameUnroutable) items.push(`- **Becomes unroutable:** ${landing(k, MD)}`);
  for (const k of e.noLongerUnroutable) items.push(`- No longer unroutable: ${landing(k, MD)}`);
  if (items.length) lines.push("", ...items);
  return lines;
}
