// What a change does to the broker objects: each object added, removed, updated in place or
// replaced, from two fully expanded specs. Pure; the review, report and exit code build on it.
// Replacement follows what apply-plan.ts does: queue and exchange settings are immutable on
// RabbitMQ, so the object is deleted and declared again (its vhost's VhostObjects resource
// updates; the object is "replaced" here and "redeclared" in the engine's diff).
import type { WarrenSpec } from "../components/config/spec";
import { planTopology } from "../components/topology/plan";
import {
  type Arguments,
  type BindingSpec,
  type TopologySpec,
  emptyTopology,
} from "../components/topology/spec";

export type ObjectKind =
  | "vhost"
  | "exchange"
  | "queue"
  | "binding"
  | "policy"
  | "operator policy"
  | "permission"
  | "topic permission"
  | "user";

/** Kinds in report order within a vhost. */
export const KIND_ORDER: readonly ObjectKind[] = [
  "vhost",
  "exchange",
  "queue",
  "binding",
  "policy",
  "operator policy",
  "permission",
  "topic permission",
  "user",
];

export type ChangeAction = "add" | "remove" | "update" | "replace";

/** One changed field; `undefined` is "unset". */
export interface FieldChange {
  readonly field: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface ObjectChange {
  readonly kind: ObjectKind;
  /** The vhost the object lives in; undefined for users, which are cluster-wide. */
  readonly vhost?: string;
  /** The object's identity within its kind and vhost (bindings: source, destination, key, arguments). */
  readonly name: string;
  readonly action: ChangeAction;
  /** What changed, for updates and replacements. */
  readonly fields: readonly FieldChange[];
  /** For additions and removals: a word or two, e.g. the exchange type… */
  readonly summary?: string;
  /** …and settings worth seeing, e.g. a permission's regexes. */
  readonly attributes?: readonly (readonly [string, unknown])[];
  /** Queues and exchanges replaced or removed: the bindings that go (and, replaced, come back) with them. */
  readonly bindings?: number;
  /** Queues removed or replaced in prod stay on the broker (retainOnDelete), messages and all. */
  readonly retained?: boolean;
  /** Why a replacement happens when it is not a changed immutable setting. */
  readonly reason?: string;
}

export interface SpecDiff {
  readonly changes: readonly ObjectChange[];
  /** Stack-level settings (`warren:environment`, `warren:broker.*`). */
  readonly settings: readonly FieldChange[];
}

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
export function canonical(v: unknown): string {
  const norm = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(norm);
    if (x && typeof x === "object")
      return Object.fromEntries(
        Object.keys(x)
          .sort()
          .map((k) => [k, norm((x as Record<string, unknown>)[k])]),
      );
    return x;
  };
  return JSON.stringify(norm(v)) ?? "undefined";
}

/** A value for people: strings in double quotes as written (regexes stay readable), the rest JSON. */
export function showValue(v: unknown): string {
  if (v === undefined) return "(unset)";
  // eslint-disable-next-line no-control-regex -- control characters are what must be escaped
  if (typeof v === "string") return /["\u0000-\u001f]/.test(v) ? JSON.stringify(v) : `"${v}"`;
  return canonical(v);
}

/** `source → queue destination, key "k"` (and the arguments, if any): how a binding is named. */
export function bindingName(
  b: Pick<BindingSpec, "source" | "destination" | "destinationType" | "routingKey" | "arguments">,
): string {
  const args = Object.keys(b.arguments).length ? `, arguments ${canonical(b.arguments)}` : "";
  return `${b.source} → ${b.destinationType} ${b.destination}, key ${showValue(b.routingKey)}${args}`;
}

type Fields = Record<string, unknown>;

function argumentFields(prefix: string, args: Arguments, skip: readonly string[] = []): Fields {
  const out: Fields = {};
  for (const k of Object.keys(args).sort()) if (!skip.includes(k)) out[`${prefix}.${k}`] = args[k];
  return out;
}

interface Entry {
  readonly kind: ObjectKind;
  readonly vhost?: string;
  readonly name: string;
  readonly fields: Fields;
  readonly summary?: string;
  readonly attributes?: readonly (readonly [string, unknown])[];
  /** Any change of these fields replaces the object. */
  readonly immutable: boolean;
}

function entries(t: TopologySpec): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const put = (e: Entry) => out.set(JSON.stringify([e.kind, e.vhost ?? null, e.name]), e);
  objectEntries(t, put);
  accessEntries(t, put);
  return out;
}

type Put = (e: Entry) => void;

/** Vhosts, users, exchanges and queues. */
function objectEntries(t: TopologySpec, put: Put): void {
  for (const v of t.vhosts)
    put({
      kind: "vhost",
      vhost: v.name,
      name: v.name,
      immutable: false,
      fields: {
        description: v.description,
        defaultQueueType: v.defaultQueueType,
        "limits.maxConnections": v.limits?.maxConnections,
        "limits.maxQueues": v.limits?.maxQueues,
      },
    });
  for (const u of t.users)
    put({
      kind: "user",
      name: u.name,
      immutable: false,
      fields: { tags: [...u.tags].sort() },
      summary: u.tags.length ? `tags ${u.tags.join(", ")}` : undefined,
    });
  for (const x of t.exchanges)
    put({
      kind: "exchange",
      vhost: x.vhost,
      name: x.name,
      immutable: true,
      summary: x.type + (x.internal ? ", internal" : ""),
      fields: {
        type: x.type,
        durable: x.durable,
        autoDelete: x.autoDelete,
        internal: x.internal,
        alternateExchange: x.alternateExchange,
        ...argumentFields("arguments", x.arguments),
      },
    });
  for (const q of t.queues)
    put({
      // x-queue-type is the `type` field (plan.ts always sets it from there).
      kind: "queue",
      vhost: q.vhost,
      name: q.name,
      immutable: true,
      summary: q.type,
      fields: {
        type: q.type,
        durable: q.durable,
        autoDelete: q.autoDelete,
        ...argumentFields("arguments", q.arguments, ["x-queue-type"]),
      },
    });
}

/** Bindings, policies and permissions. */
function accessEntries(t: TopologySpec, put: Put): void {
  for (const b of t.bindings)
    put({ kind: "binding", vhost: b.vhost, name: bindingName(b), immutable: true, fields: {} });
  const policy = (kind: "policy" | "operator policy") => (p: TopologySpec["policies"][number]) =>
    put({
      kind,
      vhost: p.vhost,
      name: p.name,
      immutable: false,
      attributes: [
        ["pattern", p.pattern],
        ["applyTo", p.applyTo],
        ["priority", p.priority],
        ["definition", p.definition],
      ],
      fields: {
        pattern: p.pattern,
        applyTo: p.applyTo,
        priority: p.priority,
        ...argumentFields("definition", p.definition),
      },
    });
  t.policies.forEach(policy("policy"));
  t.operatorPolicies.forEach(policy("operator policy"));
  for (const p of t.permissions)
    put({
      kind: "permission",
      vhost: p.vhost,
      name: p.user,
      immutable: false,
      attributes: [
        ["configure", p.configure],
        ["write", p.write],
        ["read", p.read],
      ],
      fields: { configure: p.configure, write: p.write, read: p.read },
    });
  for (const p of t.topicPermissions)
    put({
      kind: "topic permission",
      vhost: p.vhost,
      name: `${p.user} on ${p.exchange}`,
      immutable: false,
      attributes: [
        ["write", p.write],
        ["read", p.read],
      ],
      fields: { write: p.write, read: p.read },
    });
}

function changedFields(before: Fields, after: Fields): FieldChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys
    .filter((k) => canonical(before[k]) !== canonical(after[k]))
    .map((field) => ({ field, before: before[field], after: after[field] }));
}

/** Bindings a queue or exchange takes with it: those the topology component replaces with it. */
function attachedBindings(t: TopologySpec, kind: ObjectKind, vhost: string, name: string): number {
  return t.bindings.filter(
    (b) =>
      b.vhost === vhost &&
      ((kind === "exchange" &&
        (b.source === name || (b.destinationType === "exchange" && b.destination === name))) ||
        (kind === "queue" && b.destinationType === "queue" && b.destination === name)),
  ).length;
}

export function diffSpecs(before: WarrenSpec | undefined, after: WarrenSpec): SpecDiff {
  const bt = before?.topology ?? emptyTopology();
  const at = after.topology;
  const was = entries(bt);
  const now = entries(at);
  // Retention is an option of the deployed resource, i.e. what plan.ts decided for the base.
  const basePlan = before ? planTopology(bt, { environment: before.environment }) : undefined;
  const queueRetained = (vhost: string, name: string) =>
    basePlan?.vhosts[vhost]?.retain === true && name in basePlan.vhosts[vhost].queues;
  const out: ObjectChange[] = [];
  // Keys left undefined (a user's vhost, an exchange's attributes) are left out altogether.
  const push = (c: ObjectChange) =>
    out.push(
      Object.fromEntries(
        Object.entries(c).filter(([, v]) => v !== undefined),
      ) as unknown as ObjectChange,
    );

  for (const [key, a] of now) {
    const b = was.get(key);
    if (!b) {
      push({
        kind: a.kind,
        vhost: a.vhost,
        name: a.name,
        action: "add",
        fields: [],
        summary: a.summary,
        attributes: a.attributes,
      });
      continue;
    }
    const fields = changedFields(b.fields, a.fields);
    if (fields.length === 0) continue;
    if (a.immutable) {
      push({
        kind: a.kind,
        vhost: a.vhost,
        name: a.name,
        action: "replace",
        fields,
        bindings: attachedBindings(at, a.kind, a.vhost!, a.name),
        retained: a.kind === "queue" && queueRetained(a.vhost!, a.name) ? true : undefined,
      });
    } else {
      push({ kind: a.kind, vhost: a.vhost, name: a.name, action: "update", fields });
    }
  }
  for (const [key, b] of was) {
    if (now.has(key)) continue;
    push({
      kind: b.kind,
      vhost: b.vhost,
      name: b.name,
      action: "remove",
      fields: [],
      summary: b.summary,
      attributes: b.attributes,
      ...(b.kind === "queue" || b.kind === "exchange"
        ? { bindings: attachedBindings(bt, b.kind, b.vhost!, b.name) }
        : {}),
      retained: b.kind === "queue" && queueRetained(b.vhost!, b.name) ? true : undefined,
    });
  }
  out.sort(compareChanges);

  const stack = (s: WarrenSpec | undefined): Fields => {
    const broker = s?.runtime === "external" ? s.broker : undefined;
    return {
      environment: s?.environment,
      runtime: s?.runtime,
      "broker.managementUrl": broker?.managementUrl,
      "broker.username": broker?.username,
      "broker.insecure": broker?.insecure,
    };
  };
  return { changes: out, settings: before ? changedFields(stack(before), stack(after)) : [] };
}

/** Vhost groups by name (users, cluster-wide, last); within one, by kind order, then name. */
export function compareChanges(a: ObjectChange, b: ObjectChange): number {
  const group = (c: ObjectChange) => (c.vhost === undefined ? "\uffff" : c.vhost);
  return (
    cmp(group(a), group(b)) ||
    KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
    cmp(a.name, b.name)
  );
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
