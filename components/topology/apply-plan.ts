// What applying one vhost's objects to the broker takes, decided as plain data from what the
// stack recorded last (`olds`, undefined on create) and what it declares now (`news`): which
// objects to delete first (removed ones, and ones whose settings RabbitMQ cannot change in
// place), and what to declare in one definitions import. vhost-objects.ts only carries the steps
// out over HTTP. No imports: the dynamic provider that runs this is serialized into the state.

/** An exchange, in the shape of @pulumi/rabbitmq's ExchangeArgs (plus `internal`). */
export interface ExchangeEntry {
  readonly name: string;
  readonly vhost: string;
  readonly internal: boolean;
  readonly settings: {
    readonly type: string;
    readonly durable: boolean;
    readonly autoDelete: boolean;
    readonly arguments: Readonly<Record<string, string>>;
  };
}
/** A queue, in the shape of @pulumi/rabbitmq's QueueArgs. */
export interface QueueEntry {
  readonly name: string;
  readonly vhost: string;
  readonly settings: {
    readonly durable: boolean;
    readonly autoDelete: boolean;
    readonly argumentsJson: string;
  };
}
/** A binding, in the shape of @pulumi/rabbitmq's BindingArgs. */
export interface BindingEntry {
  readonly vhost: string;
  readonly source: string;
  readonly destination: string;
  readonly destinationType: "queue" | "exchange";
  readonly routingKey: string;
  readonly argumentsJson?: string;
}
/** A policy or operator policy, in the shape of @pulumi/rabbitmq's PolicyArgs (typed values). */
export interface PolicyEntry {
  readonly name: string;
  readonly vhost: string;
  readonly policy: {
    readonly pattern: string;
    readonly priority: number;
    readonly applyTo: string;
    readonly definition: Readonly<Record<string, unknown>>;
  };
}
export interface VhostSettings {
  readonly name: string;
  readonly description: string;
  readonly defaultQueueType?: string;
  readonly limits: Readonly<Record<string, number>>;
}

/** Everything one vhost holds, each kind keyed by name (bindings by their stable key). */
export interface VhostEntries {
  readonly vhost: VhostSettings;
  readonly exchanges: Readonly<Record<string, ExchangeEntry>>;
  readonly queues: Readonly<Record<string, QueueEntry>>;
  readonly bindings: Readonly<Record<string, BindingEntry>>;
  readonly policies: Readonly<Record<string, PolicyEntry>>;
  readonly operatorPolicies: Readonly<Record<string, PolicyEntry>>;
  /** prod: removing the vhost or a queue leaves it (and its messages) on the broker. */
  readonly retain: boolean;
}

/** The body of `POST /api/definitions/{vhost}`. */
export interface VhostDefinitions {
  readonly exchanges: readonly Record<string, unknown>[];
  readonly queues: readonly Record<string, unknown>[];
  readonly bindings: readonly Record<string, unknown>[];
  readonly policies: readonly Record<string, unknown>[];
}

export interface ApplySteps {
  readonly putVhost: boolean;
  readonly putLimits: readonly (readonly [string, number])[];
  readonly deleteLimits: readonly string[];
  /** In this order: bindings, policies, operator policies, queues, exchanges. */
  readonly deleteBindings: readonly BindingEntry[];
  readonly deletePolicies: readonly string[];
  readonly deleteOperatorPolicies: readonly string[];
  readonly deleteQueues: readonly string[];
  readonly deleteExchanges: readonly string[];
  /** Then every declared exchange, queue, binding and policy, in one import (idempotent). */
  readonly definitions: VhostDefinitions;
  readonly putOperatorPolicies: readonly PolicyEntry[];
  /** Objects deleted and declared again because RabbitMQ cannot change them in place. */
  readonly redeclared: readonly string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Keys of `olds` not in `news`. */
const removed = (olds: object | undefined, news: object) =>
  Object.keys(olds ?? {}).filter((k) => !(k in news));

/** Keys in both whose entries differ. */
function changed<E>(olds: Readonly<Record<string, E>> | undefined, news: Record<string, E>) {
  return Object.keys(news).filter((k) => olds && k in olds && !same(olds[k], news[k]));
}

/** Why an object with these changes must be deleted and declared again, for reviewers. */
export function redeclarations(olds: VhostEntries | undefined, news: VhostEntries): string[] {
  if (!olds) return [];
  const v = news.vhost.name;
  return [
    ...changed(olds.queues, news.queues).map(
      (k) =>
        `queue ${k} in vhost ${v}: ${settingsChange(olds.queues[k].settings, news.queues[k].settings)}; ` +
        "deleted and declared again, its messages are lost",
    ),
    ...changed(olds.exchanges, news.exchanges).map(
      (k) =>
        `exchange ${k} in vhost ${v}: ${settingsChange(olds.exchanges[k], news.exchanges[k])}; ` +
        "deleted and declared again with its bindings",
    ),
  ];
}

function settingsChange(a: object, b: object): string {
  const flat = (o: object, p = ""): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(o)) {
      const parsed: unknown = k === "argumentsJson" && typeof v === "string" ? JSON.parse(v) : v;
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
        Object.assign(
          out,
          flat(parsed, k === "argumentsJson" || k === "settings" ? p : `${p}${k}.`),
        );
      else out[`${p}${k}`] = JSON.stringify(parsed);
    }
    return out;
  };
  const fa = flat(a);
  const fb = flat(b);
  return [...new Set([...Object.keys(fa), ...Object.keys(fb)])]
    .filter((k) => fa[k] !== fb[k])
    .map((k) => `${k} ${fa[k] ?? "unset"} → ${fb[k] ?? "unset"}`)
    .join(", ");
}

/**
 * A change that needs a queue deleted while the stack retains queues (prod) is refused before
 * anything is applied: deleting the queue would drop its messages.
 */
export function retainedQueueChanges(olds: VhostEntries | undefined, news: VhostEntries): string[] {
  if (!olds || !news.retain) return [];
  return changed(olds.queues, news.queues).map(
    (k) =>
      `queue ${k} in vhost ${news.vhost.name}: ${settingsChange(olds.queues[k].settings, news.queues[k].settings)}; ` +
      "RabbitMQ cannot change this in place and this stack retains queues, so warren will not " +
      "delete it: declare the new settings under a new queue name, or change them through a policy",
  );
}

export function definitionsOf(e: VhostEntries): VhostDefinitions {
  return {
    exchanges: Object.values(e.exchanges).map((x) => ({
      name: x.name,
      type: x.settings.type,
      durable: x.settings.durable,
      auto_delete: x.settings.autoDelete,
      internal: x.internal,
      arguments: x.settings.arguments,
    })),
    queues: Object.values(e.queues).map((q) => ({
      name: q.name,
      durable: q.settings.durable,
      auto_delete: q.settings.autoDelete,
      arguments: JSON.parse(q.settings.argumentsJson) as unknown,
    })),
    bindings: Object.values(e.bindings).map((b) => ({
      source: b.source,
      destination: b.destination,
      destination_type: b.destinationType,
      routing_key: b.routingKey,
      arguments: bindingArguments(b),
    })),
    policies: Object.values(e.policies).map(policyBody),
  };
}

/** A policy as the management API takes it (`PUT /api/policies/...` and definitions). */
export function policyBody(p: PolicyEntry): Record<string, unknown> {
  return {
    name: p.name,
    pattern: p.policy.pattern,
    priority: p.policy.priority,
    "apply-to": p.policy.applyTo,
    definition: p.policy.definition,
  };
}

export function planApply(olds: VhostEntries | undefined, news: VhostEntries): ApplySteps {
  const redeclaredQueues = changed(olds?.queues, news.queues);
  const redeclaredExchanges = changed(olds?.exchanges, news.exchanges);
  const queuesRemoved = news.retain ? [] : removed(olds?.queues, news.queues);
  return {
    putVhost: !olds || !same(olds.vhost, news.vhost),
    putLimits: Object.entries(news.vhost.limits).filter(
      ([k, v]) => !olds || olds.vhost.limits[k] !== v,
    ),
    deleteLimits: removed(olds?.vhost.limits, news.vhost.limits),
    // A changed binding has a new key: the old one is removed, the new one declared.
    deleteBindings: removed(olds?.bindings, news.bindings).map((k) => olds!.bindings[k]),
    deletePolicies: [
      ...removed(olds?.policies, news.policies),
      // A policy is updated in place by the import; nothing to delete for a changed one.
    ],
    deleteOperatorPolicies: removed(olds?.operatorPolicies, news.operatorPolicies),
    deleteQueues: [...queuesRemoved, ...redeclaredQueues],
    deleteExchanges: [...removed(olds?.exchanges, news.exchanges), ...redeclaredExchanges],
    definitions: definitionsOf(news),
    putOperatorPolicies: Object.keys(news.operatorPolicies)
      .filter((k) => !olds || !same(olds.operatorPolicies[k], news.operatorPolicies[k]))
      .map((k) => news.operatorPolicies[k]),
    redeclared: redeclarations(olds, news),
  };
}

/** What destroying the resource removes: the whole vhost, or (retained) all but vhost and queues. */
export interface DestroySteps {
  readonly deleteVhost: boolean;
  readonly deleteBindings: readonly BindingEntry[];
  readonly deletePolicies: readonly string[];
  readonly deleteOperatorPolicies: readonly string[];
  readonly deleteExchanges: readonly string[];
  readonly deleteLimits: readonly string[];
}

export function planDestroy(olds: VhostEntries): DestroySteps {
  if (!olds.retain)
    return {
      deleteVhost: true,
      deleteBindings: [],
      deletePolicies: [],
      deleteOperatorPolicies: [],
      deleteExchanges: [],
      deleteLimits: [],
    };
  return {
    deleteVhost: false,
    deleteBindings: Object.values(olds.bindings),
    deletePolicies: Object.keys(olds.policies),
    deleteOperatorPolicies: Object.keys(olds.operatorPolicies),
    deleteExchanges: Object.keys(olds.exchanges),
    deleteLimits: Object.keys(olds.vhost.limits),
  };
}

/** A declared queue or exchange as the broker reports it in `GET /api/definitions/{vhost}`. */
export interface LiveDeclaration {
  readonly name: string;
  readonly [setting: string]: unknown;
}

/** JSON with every object's keys sorted, so equal settings give equal strings. */
export function canonical(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sort)
      : x && typeof x === "object"
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, sort((x as Record<string, unknown>)[k])]),
          )
        : x;
  return JSON.stringify(sort(v));
}

/** A binding's arguments as the management API takes and reports them. */
export function bindingArguments(b: BindingEntry): Record<string, unknown> {
  return b.argumentsJson ? (JSON.parse(b.argumentsJson) as Record<string, unknown>) : {};
}

/**
 * Declared queues and exchanges that the broker already held with other settings. A definitions
 * import leaves an existing queue or exchange as it is (and answers 204), so an object that was on
 * the broker before this stack recorded it (an interrupted create retried with another config, a
 * vhost adopted from elsewhere) would silently keep its old settings; these are the messages to
 * fail the apply with instead.
 */
export function declarationConflicts(
  vhost: string,
  declared: VhostDefinitions,
  live: {
    readonly queues?: readonly LiveDeclaration[];
    readonly exchanges?: readonly LiveDeclaration[];
  },
): string[] {
  const out: string[] = [];
  const check = (
    kind: "queue" | "exchange",
    want: readonly Record<string, unknown>[],
    have: readonly LiveDeclaration[] | undefined,
    keys: readonly string[],
  ) => {
    const byName = new Map((have ?? []).map((o) => [o.name, o]));
    for (const w of want) {
      const h = byName.get(w.name as string);
      if (!h) continue;
      const diffs = keys
        .filter((k) => canonical(w[k] ?? {}) !== canonical(h[k] ?? {}))
        .map((k) => `${k} ${canonical(h[k] ?? {})} (declared ${canonical(w[k] ?? {})})`);
      if (diffs.length)
        out.push(
          `${kind} ${String(w.name)} in vhost ${vhost} exists on the broker with other settings: ` +
            `${diffs.join(", ")}; RabbitMQ cannot change them in place and warren did not create ` +
            `it with these, so it leaves it alone: delete it on the broker (its messages go with ` +
            `it) or declare the settings it has`,
        );
    }
  };
  check("exchange", declared.exchanges, live.exchanges, [
    "type",
    "durable",
    "auto_delete",
    "internal",
    "arguments",
  ]);
  check("queue", declared.queues, live.queues, ["durable", "auto_delete", "arguments"]);
  return out;
}
