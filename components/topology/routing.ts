// The routing simulator: which queues a published message reaches, by RabbitMQ's own rules,
// computed from a TopologySpec alone (pure, no I/O). Checked against a real broker in tests.

import {
  BUILTIN_EXCHANGES,
  DEFAULT_EXCHANGE,
  type ArgValue,
  type BindingSpec,
  type ExchangeSpec,
  type ExchangeType,
  type PolicySpec,
  type TopologySpec,
} from "./spec";
import { type HeadersBinding, TopicTrie, X_MATCH_MODES, headersMatch } from "./matching";

/** A message as a client publishes it. */
export interface Message {
  readonly vhost: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly headers?: Readonly<Record<string, ArgValue>>;
}

export interface RouteOptions {
  /**
   * Route even if the exchange is internal. A client cannot (the broker closes the channel with
   * 403); this is for tools asking "what would this internal exchange do with it".
   */
  readonly allowInternal?: boolean;
}

export type RoutingErrorCode =
  "unknown-vhost" | "unknown-exchange" | "internal-exchange" | "invalid-binding";

/**
 * A publish the broker would refuse (it closes the channel: 404 for an unknown exchange, 403 for
 * an internal one), or a topology the broker would not accept. Never "routed to nothing": that
 * is a normal, empty result.
 */
export class RoutingError extends Error {
  constructor(
    readonly code: RoutingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "RoutingError";
  }
}

/** Built-in exchanges clients cannot publish to. */
const INTERNAL_BUILTINS: ReadonlySet<string> = new Set(["amq.rabbitmq.trace"]);

/** Where a binding leads; one interned object per queue or exchange of a vhost. */
interface Destination {
  readonly kind: "queue" | "exchange";
  readonly name: string;
}

type Matcher =
  | { readonly type: "direct"; readonly byKey: Map<string, Destination[]> }
  | { readonly type: "fanout"; readonly all: Destination[] }
  | { readonly type: "topic"; readonly trie: TopicTrie<Destination> }
  | { readonly type: "headers"; readonly bindings: HeadersBinding<Destination>[] };

interface ExchangeNode {
  readonly name: string;
  readonly internal: boolean;
  readonly alternate?: string;
  readonly matcher: Matcher;
}

interface VHostIndex {
  readonly queues: ReadonlySet<string>;
  readonly exchanges: ReadonlyMap<string, ExchangeNode>;
}

/** An index of a topology's routing, built once and queried with `route` many times. */
export class RoutingTable {
  private readonly vhosts = new Map<string, VHostIndex>();

  constructor(topology: TopologySpec) {
    for (const vh of topology.vhosts) {
      if (!this.vhosts.has(vh.name)) this.vhosts.set(vh.name, buildVHost(vh.name, topology));
    }
  }

  /** Queue names (of `msg.vhost`) that receive the message, each once, sorted. */
  route(msg: Message, opts: RouteOptions = {}): string[] {
    const vh = this.vhosts.get(msg.vhost);
    if (!vh) throw new RoutingError("unknown-vhost", `vhost ${q(msg.vhost)} is not declared`);

    if (msg.exchange === DEFAULT_EXCHANGE) {
      // The default exchange has no AE and no exchange bindings: it only names a queue.
      return vh.queues.has(msg.routingKey) ? [msg.routingKey] : [];
    }
    const first = vh.exchanges.get(msg.exchange);
    if (!first) {
      throw new RoutingError(
        "unknown-exchange",
        `exchange ${q(msg.exchange)} is not declared in vhost ${q(msg.vhost)}`,
      );
    }
    if (first.internal && !opts.allowInternal) {
      throw new RoutingError(
        "internal-exchange",
        `exchange ${q(msg.exchange)} in vhost ${q(msg.vhost)} is internal: ` +
          "clients cannot publish to it",
      );
    }

    // As rabbit_exchange:route/2: a worklist of exchanges, each visited at most once per publish
    // (so e2e cycles end), and an exchange's AE is used only when that exchange's own bindings
    // matched nothing at all; a match to another exchange counts even if that one then drops it.
    const queues = new Set<string>();
    const seen = new Set<ExchangeNode>([first]);
    const work: ExchangeNode[] = [first];
    const enqueue = (next: ExchangeNode | undefined): void => {
      if (next && !seen.has(next)) {
        seen.add(next);
        work.push(next);
      }
    };
    let matched = false;
    const deliver = (d: Destination): void => {
      matched = true;
      if (d.kind === "queue") queues.add(d.name);
      else enqueue(vh.exchanges.get(d.name));
    };
    const headers = msg.headers ?? {};
    while (work.length > 0) {
      const x = work.pop()!;
      matched = false;
      runMatcher(x.matcher, msg.routingKey, headers, deliver);
      // An AE naming a missing exchange, or the default exchange, routes nothing (as the broker).
      if (!matched && x.alternate !== undefined) enqueue(vh.exchanges.get(x.alternate));
    }
    return [...queues].sort();
  }
}

/** One-off routing; build a RoutingTable instead when routing more than one message. */
export function routeMessage(topology: TopologySpec, msg: Message, opts?: RouteOptions): string[] {
  return new RoutingTable(topology).route(msg, opts);
}

function runMatcher(
  m: Matcher,
  routingKey: string,
  headers: Readonly<Record<string, ArgValue>>,
  deliver: (d: Destination) => void,
): void {
  switch (m.type) {
    case "direct":
      m.byKey.get(routingKey)?.forEach(deliver);
      return;
    case "fanout":
      m.all.forEach(deliver);
      return;
    case "topic":
      m.trie.match(routingKey, deliver);
      return;
    case "headers":
      for (const b of m.bindings) if (headersMatch(b, headers)) deliver(b.dest);
      return;
  }
}

function headersBinding(b: BindingSpec, dest: Destination): HeadersBinding<Destination> {
  const raw = b.arguments["x-match"];
  const mode = raw === undefined ? "all" : raw;
  if (typeof mode !== "string" || !(X_MATCH_MODES as readonly string[]).includes(mode)) {
    throw new RoutingError(
      "invalid-binding",
      `${b.path}: x-match must be one of ${X_MATCH_MODES.join(", ")}, not ${JSON.stringify(raw)}` +
        " (the broker refuses the binding)",
    );
  }
  const withX = mode === "all-with-x" || mode === "any-with-x";
  const pairs = Object.entries(b.arguments).filter(
    ([k, v]) => k !== "x-match" && v !== undefined && (withX || !k.startsWith("x-")),
  );
  return { any: mode === "any" || mode === "any-with-x", pairs, dest };
}

// ---------------------------------------------------------------------------------------------
// Index building

function buildVHost(vhost: string, topology: TopologySpec): VHostIndex {
  const queues = new Set(topology.queues.filter((x) => x.vhost === vhost).map((x) => x.name));
  const policies = topology.policies.filter(
    (p) => p.vhost === vhost && (p.applyTo === "exchanges" || p.applyTo === "all"),
  );

  const declared = new Map<string, ExchangeSpec>();
  for (const x of topology.exchanges) if (x.vhost === vhost) declared.set(x.name, x);

  const types = new Map<string, { type: ExchangeType; internal: boolean; alternate?: string }>();
  for (const [name, type] of BUILTIN_EXCHANGES) {
    if (!declared.has(name)) {
      types.set(name, {
        type,
        internal: INTERNAL_BUILTINS.has(name),
        alternate: policyAlternate(name, policies),
      });
    }
  }
  for (const x of declared.values()) {
    if (x.name === DEFAULT_EXCHANGE) continue;
    types.set(x.name, { type: x.type, internal: x.internal, alternate: alternateOf(x, policies) });
  }

  const dests = new Map<string, Destination>();
  const destination = (kind: Destination["kind"], name: string): Destination | undefined => {
    // A binding to something that does not exist cannot be created on the broker.
    if (kind === "queue" ? !queues.has(name) : !types.has(name)) return undefined;
    const key = `${kind}\u0000${name}`;
    let d = dests.get(key);
    if (!d) dests.set(key, (d = { kind, name }));
    return d;
  };

  const matchers = new Map<string, Matcher>();
  for (const [name, t] of types) matchers.set(name, emptyMatcher(t.type));
  for (const b of topology.bindings) {
    if (b.vhost !== vhost) continue;
    // Bindings from the default exchange are refused by the broker (403).
    const m = b.source === DEFAULT_EXCHANGE ? undefined : matchers.get(b.source);
    const dest = destination(b.destinationType, b.destination);
    if (m && dest) addBinding(m, b, dest);
  }

  const exchanges = new Map<string, ExchangeNode>();
  for (const [name, t] of types) {
    exchanges.set(name, {
      name,
      internal: t.internal,
      alternate: t.alternate,
      matcher: matchers.get(name)!,
    });
  }
  return { queues, exchanges };
}

function emptyMatcher(type: ExchangeType): Matcher {
  switch (type) {
    case "direct":
      return { type, byKey: new Map() };
    case "fanout":
      return { type, all: [] };
    case "topic":
      return { type, trie: new TopicTrie() };
    case "headers":
      return { type, bindings: [] };
  }
}

function addBinding(m: Matcher, b: BindingSpec, dest: Destination): void {
  switch (m.type) {
    case "direct": {
      const list = m.byKey.get(b.routingKey);
      if (!list) m.byKey.set(b.routingKey, [dest]);
      else if (!list.includes(dest)) list.push(dest);
      return;
    }
    case "fanout":
      if (!m.all.includes(dest)) m.all.push(dest);
      return;
    case "topic":
      m.trie.add(b.routingKey, dest);
      return;
    case "headers":
      m.bindings.push(headersBinding(b, dest));
      return;
  }
}

/**
 * The exchange's AE: its own setting wins (the typed field, then the `alternate-exchange`
 * argument), else the one policy that applies to it, if that policy sets one.
 */
function alternateOf(x: ExchangeSpec, policies: readonly PolicySpec[]): string | undefined {
  if (x.alternateExchange !== undefined) return x.alternateExchange;
  const arg = x.arguments["alternate-exchange"];
  if (typeof arg === "string") return arg;
  return policyAlternate(x.name, policies);
}

/**
 * Only the highest-priority matching policy applies to an object (a lower one setting an AE is
 * ignored, as the broker does). Equal priorities: the broker's pick is unspecified; this takes
 * the first by name.
 */
function policyAlternate(exchange: string, policies: readonly PolicySpec[]): string | undefined {
  let best: PolicySpec | undefined;
  for (const p of policies) {
    if (!policyMatches(p.pattern, exchange)) continue;
    if (
      !best ||
      p.priority > best.priority ||
      (p.priority === best.priority && p.name < best.name)
    ) {
      best = p;
    }
  }
  const ae = best?.definition["alternate-exchange"];
  return typeof ae === "string" ? ae : undefined;
}

const patternCache = new Map<string, RegExp | null>();

function policyMatches(pattern: string, name: string): boolean {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern);
    } catch {
      // Not a pattern JS understands (the broker uses PCRE): treated as matching nothing.
      re = null;
    }
    patternCache.set(pattern, re);
  }
  return re !== null && re.test(name);
}

function q(s: string): string {
  return JSON.stringify(s);
}
