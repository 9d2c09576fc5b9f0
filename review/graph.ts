// `warren graph`: a topology as a Mermaid flowchart, one subgraph per vhost. Exchanges (hexagons)
// → bindings (edge labels: routing keys, or headers arguments) → queues (cylinders); exchange-to-
// exchange bindings; alternate exchanges and dead-letter paths as dashed edges; and the users
// whose read permission matches a queue (its consumers). Node ids are derived from kind, vhost and
// name (a readable part plus a digest), so any name, dots, dashes, slashes or unicode, is safe.
import { createHash } from "crypto";
import {
  type Arguments,
  BUILTIN_EXCHANGES,
  type ExchangeSpec,
  type PolicySpec,
  type QueueSpec,
  type TopologySpec,
} from "../components/topology/spec";
import { permits } from "./access";
import { canonical } from "./diff";

type NodeKind = "vhost" | "exchange" | "queue" | "user";
const PREFIX: Record<NodeKind, string> = { vhost: "vh", exchange: "ex", queue: "qu", user: "us" };

/** A Mermaid-safe id: `<kind>_<readable ASCII part>_<digest of kind, vhost and name>`. */
export function nodeId(kind: NodeKind, vhost: string, name: string): string {
  const digest = createHash("sha256")
    .update(JSON.stringify([kind, vhost, name]))
    .digest("hex")
    .slice(0, 8);
  const readable = name
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 40);
  return `${PREFIX[kind]}_${readable ? `${readable}_` : ""}${digest}`;
}

/**
 * Text inside a quoted Mermaid label: characters that end or alter a label become entity codes
 * (`#quot;`, `#35;` …), as Mermaid's docs describe; everything else, unicode included, stays.
 */
export function mermaidText(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what must be escaped
  return s.replace(/["#<>&|`\\\u0000-\u001f]/g, (c) =>
    c === '"' ? "#quot;" : `#${c.charCodeAt(0)};`,
  );
}

const label = (...lines: string[]) => `"${lines.map(mermaidText).join("<br/>")}"`;

/** The one policy RabbitMQ applies to an object: the highest priority, ties broken by name. */
function effectivePolicy(
  policies: readonly PolicySpec[],
  vhost: string,
  kind: "queues" | "exchanges",
  name: string,
): PolicySpec | undefined {
  let best: PolicySpec | undefined;
  for (const p of policies) {
    if (p.vhost !== vhost || (p.applyTo !== kind && p.applyTo !== "all")) continue;
    let matches = false;
    try {
      matches = new RegExp(p.pattern).test(name);
    } catch {
      // Not a regex JS understands: treated as matching nothing (as routing.ts does).
    }
    if (
      matches &&
      (!best || p.priority > best.priority || (p.priority === best.priority && p.name < best.name))
    )
      best = p;
  }
  return best;
}

function alternateOf(x: ExchangeSpec, policies: readonly PolicySpec[]): string | undefined {
  if (x.alternateExchange !== undefined) return x.alternateExchange;
  const arg = x.arguments["alternate-exchange"];
  if (typeof arg === "string") return arg;
  const ae = effectivePolicy(policies, x.vhost, "exchanges", x.name)?.definition[
    "alternate-exchange"
  ];
  return typeof ae === "string" ? ae : undefined;
}

/** Dead-lettering of a queue: its arguments win over the policy that applies to it. */
function deadLetterOf(
  q: QueueSpec,
  policies: readonly PolicySpec[],
): { exchange: string; routingKey?: string } | undefined {
  const policy = effectivePolicy(policies, q.vhost, "queues", q.name)?.definition ?? {};
  const pick = (arg: string, key: string) => {
    const v = q.arguments[arg] ?? policy[key];
    return typeof v === "string" ? v : undefined;
  };
  const exchange = pick("x-dead-letter-exchange", "dead-letter-exchange");
  return exchange === undefined
    ? undefined
    : { exchange, routingKey: pick("x-dead-letter-routing-key", "dead-letter-routing-key") };
}

function headersLabel(args: Arguments): string {
  return Object.keys(args)
    .sort()
    .map((k) => `${k}=${typeof args[k] === "string" ? args[k] : canonical(args[k])}`)
    .join(", ");
}

export function mermaidGraph(t: TopologySpec): string {
  return ["flowchart LR", ...t.vhosts.flatMap((vh) => vhostGraph(t, vh.name))].join("\n");
}

/** One vhost's subgraph: its exchanges (built-in ones when referred to), queues and readers. */
function vhostGraph(t: TopologySpec, v: string): string[] {
  const exchanges = t.exchanges.filter((x) => x.vhost === v);
  const queues = t.queues.filter((q) => q.vhost === v);
  const bindings = t.bindings.filter((b) => b.vhost === v);
  const declared = new Map(exchanges.map((x) => [x.name, x]));
  const queueNames = new Set(queues.map((q) => q.name));
  const lines: string[] = [];
  const edges: string[] = [];

  // Built-in exchanges appear only when something refers to them.
  const builtins = new Map<string, string>(); // name -> type
  const exchangeNode = (name: string): string | undefined => {
    if (declared.has(name)) return nodeId("exchange", v, name);
    const type = BUILTIN_EXCHANGES.get(name);
    if (type === undefined) return undefined;
    builtins.set(name, type);
    return nodeId("exchange", v, name);
  };
  const queueNode = (name: string) => (queueNames.has(name) ? nodeId("queue", v, name) : undefined);

  // One edge per source and destination, labelled with every binding's key (or arguments).
  const bound = new Map<string, { from: string; to: string; labels: string[] }>();
  for (const b of bindings) {
    const from = exchangeNode(b.source);
    const to =
      b.destinationType === "queue" ? queueNode(b.destination) : exchangeNode(b.destination);
    if (!from || !to) continue;
    const type = declared.get(b.source)?.type ?? BUILTIN_EXCHANGES.get(b.source);
    const text =
      type === "headers" ? headersLabel(b.arguments) : type === "fanout" ? "" : b.routingKey;
    const key = `${from} ${to}`;
    const e = bound.get(key) ?? { from, to, labels: [] };
    bound.set(key, e);
    if (text !== "" && !e.labels.includes(text)) e.labels.push(text);
  }
  for (const e of bound.values())
    edges.push(
      e.labels.length ? `${e.from} -->|${label(...e.labels)}| ${e.to}` : `${e.from} --> ${e.to}`,
    );

  const consumers = policyAndReaderEdges(t, v, exchanges, queues, exchangeNode, queueNode, edges);

  lines.push(`  subgraph ${nodeId("vhost", v, v)} [${label(`vhost ${v}`)}]`);
  for (const x of exchanges)
    lines.push(
      `    ${nodeId("exchange", v, x.name)}{{${label(x.name, x.type + (x.internal ? ", internal" : ""))}}}`,
    );
  for (const [name, type] of builtins)
    lines.push(`    ${nodeId("exchange", v, name)}{{${label(name, `${type}, built-in`)}}}`);
  for (const q of queues)
    lines.push(`    ${nodeId("queue", v, q.name)}[(${label(q.name, q.type)})]`);
  for (const u of consumers) lines.push(`    ${nodeId("user", v, u)}([${label(u)}])`);
  lines.push(...edges.map((e) => `    ${e}`), "  end");
  return lines;
}

type NodeOf = (name: string) => string | undefined;

/** Alternate-exchange and dead-letter edges, and the users who read each queue (returned). */
function policyAndReaderEdges(
  t: TopologySpec,
  v: string,
  exchanges: readonly TopologySpec["exchanges"][number][],
  queues: readonly TopologySpec["queues"][number][],
  exchangeNode: NodeOf,
  queueNode: NodeOf,
  edges: string[],
): string[] {
  for (const x of exchanges) {
    const ae = alternateOf(x, t.policies);
    const to = ae === undefined ? undefined : exchangeNode(ae);
    if (to) edges.push(`${nodeId("exchange", v, x.name)} -.->|${label("alternate")}| ${to}`);
  }
  for (const q of queues) {
    const dl = deadLetterOf(q, t.policies);
    if (!dl) continue;
    // Dead-lettering to the default exchange delivers to the queue its routing key names.
    const to =
      dl.exchange === ""
        ? dl.routingKey === undefined
          ? undefined
          : queueNode(dl.routingKey)
        : exchangeNode(dl.exchange);
    const text =
      dl.routingKey === undefined ? ["dead-letter"] : ["dead-letter", `key ${dl.routingKey}`];
    if (to) edges.push(`${nodeId("queue", v, q.name)} -.->|${label(...text)}| ${to}`);
  }
  const consumers: string[] = [];
  for (const q of queues) {
    for (const p of t.permissions) {
      if (p.vhost !== v || !permits(p.read, q.name)) continue;
      if (!consumers.includes(p.user)) consumers.push(p.user);
      edges.push(
        `${nodeId("queue", v, q.name)} -->|${label("read")}| ${nodeId("user", v, p.user)}`,
      );
    }
  }
  return consumers;
}
