// Cross-object rules over a whole topology (references, duplicates, RabbitMQ's limits and argument
// types). Pure: returns every issue found, never throws, so a config is fixed in one pass.
import { type ConfigIssue, show, suggest } from "../config/issues";
import {
  OPERATOR_POLICY_KEYS,
  POLICY_KEYS,
  QUEUE_ARGUMENT_NAMES,
  SETTINGS,
  queueArgumentRule,
} from "./arguments";
import {
  type Arguments,
  BUILTIN_EXCHANGES,
  type BindingSpec,
  DEFAULT_EXCHANGE,
  type PolicySpec,
  type TopologySpec,
  USER_TAGS,
} from "./spec";

const MAX_NAME_BYTES = 255;
const X_MATCH = ["all", "any", "all-with-x", "any-with-x"];

export interface ValidateOptions {
  /** Users that exist on the broker without being declared here (the admin from `warren:broker`). */
  readonly externalUsers?: readonly string[];
}

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

function regexIssue(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (e) {
    return `regular expression ${show(pattern)} does not compile: ${(e as Error).message.replace(/^Invalid regular expression: /, "")}`;
  }
}

/** `binding key` identity as RabbitMQ sees it: two bindings equal in all of these are one. */
export function bindingIdentity(b: BindingSpec): string {
  return JSON.stringify([b.vhost, b.source, b.destinationType, b.destination, b.routingKey, sortKeys(b.arguments)]);
}

function sortKeys(a: Arguments): Arguments {
  return Object.fromEntries(Object.keys(a).sort().map((k) => [k, a[k]]));
}

export function validateTopology(t: TopologySpec, opts: ValidateOptions = {}): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });

  const vhosts = new Set<string>();
  for (const v of t.vhosts) {
    if (vhosts.has(v.name)) add(`${v.path}.name`, `vhost ${show(v.name)} is declared more than once`);
    vhosts.add(v.name);
    if (bytes(v.name) > MAX_NAME_BYTES) add(`${v.path}.name`, `is longer than ${MAX_NAME_BYTES} bytes`);
  }
  const vhostRef = (path: string, vhost: string): boolean => {
    if (vhosts.has(vhost)) return true;
    add(path, `vhost ${show(vhost)} is not declared${suggest(vhost, [...vhosts])}`);
    return false;
  };

  const users = new Set<string>(opts.externalUsers ?? []);
  const declaredUsers = new Set<string>();
  for (const u of t.users) {
    if (declaredUsers.has(u.name)) add(`${u.path}.name`, `user ${show(u.name)} is declared more than once`);
    if ((opts.externalUsers ?? []).includes(u.name))
      add(`${u.path}.name`, `user ${show(u.name)} is the broker admin from warren:broker; it is managed outside the topology`);
    declaredUsers.add(u.name);
    users.add(u.name);
    u.tags.forEach((tag, i) => {
      if (!(USER_TAGS as readonly string[]).includes(tag))
        add(`${u.path}.tags[${i}]`, `unknown user tag ${show(tag)}; known tags: ${USER_TAGS.join(", ")}${suggest(tag, USER_TAGS)}`);
    });
    if (u.name === "guest") add(`${u.path}.name`, `the "guest" user is not allowed (default credentials); declare a named user`);
  }
  const userRef = (path: string, user: string) => {
    if (!users.has(user)) add(path, `user ${show(user)} is not declared${suggest(user, [...users])}`);
  };

  // Exchanges and queues per vhost, for reference checks.
  const exchanges = new Map<string, Map<string, string>>(); // vhost -> name -> type
  const queues = new Map<string, Map<string, string>>(); // vhost -> name -> type
  const inVhost = <T>(m: Map<string, Map<string, T>>, vhost: string) => {
    let inner = m.get(vhost);
    if (!inner) m.set(vhost, (inner = new Map()));
    return inner;
  };

  const checkObjectName = (path: string, kind: string, name: string) => {
    if (bytes(name) > MAX_NAME_BYTES) add(path, `${kind} name is longer than ${MAX_NAME_BYTES} bytes`);
    if (name.startsWith("amq.")) add(path, `${kind} name ${show(name)} starts with "amq.", which RabbitMQ reserves`);
  };

  for (const x of t.exchanges) {
    vhostRef(`${x.path}.vhost`, x.vhost);
    checkObjectName(`${x.path}.name`, "exchange", x.name);
    const names = inVhost(exchanges, x.vhost);
    if (names.has(x.name)) add(`${x.path}.name`, `exchange ${show(x.name)} is declared more than once in vhost ${show(x.vhost)}`);
    names.set(x.name, x.type);
  }
  for (const q of t.queues) {
    vhostRef(`${q.path}.vhost`, q.vhost);
    checkObjectName(`${q.path}.name`, "queue", q.name);
    const names = inVhost(queues, q.vhost);
    if (names.has(q.name)) add(`${q.path}.name`, `queue ${show(q.name)} is declared more than once in vhost ${show(q.vhost)}`);
    names.set(q.name, q.type);
  }

  const exchangeDeclared = (vhost: string, name: string) =>
    BUILTIN_EXCHANGES.has(name) || (exchanges.get(vhost)?.has(name) ?? false);
  const exchangeRef = (path: string, vhost: string, name: string, what = "exchange") => {
    if (!exchangeDeclared(vhost, name))
      add(path, `${what} ${show(name)} is not declared in vhost ${show(vhost)}${suggest(name, [...(exchanges.get(vhost)?.keys() ?? [])])}`);
  };

  for (const x of t.exchanges) {
    if (x.alternateExchange !== undefined) {
      exchangeRef(`${x.path}.alternateExchange`, x.vhost, x.alternateExchange, "alternate exchange");
      if (x.alternateExchange === x.name) add(`${x.path}.alternateExchange`, `an exchange cannot be its own alternate exchange`);
    }
    for (const [k, v] of Object.entries(x.arguments)) {
      const p = `${x.path}.arguments.${k}`;
      if (k === "alternate-exchange") {
        add(p, `use the alternateExchange field instead of the "alternate-exchange" argument`);
      } else if (typeof v !== "string") {
        add(p, `exchange arguments are sent to RabbitMQ as strings by the provider; use a string, got ${show(v)}`);
      }
    }
  }

  for (const q of t.queues) {
    if ((q.type === "quorum" || q.type === "stream") && !q.durable) add(`${q.path}.durable`, `${q.type} queues must be durable`);
    if ((q.type === "quorum" || q.type === "stream") && q.autoDelete) add(`${q.path}.autoDelete`, `${q.type} queues cannot be auto-delete`);
    for (const [k, v] of Object.entries(q.arguments)) {
      const p = `${q.path}.arguments.${k}`;
      const rule = queueArgumentRule(k);
      if (!rule) {
        add(p, `unknown queue argument ${show(k)}${suggest(k, QUEUE_ARGUMENT_NAMES)}`);
        continue;
      }
      const problem = rule.check(v);
      if (problem) {
        add(p, problem);
        continue;
      }
      if (k === "x-queue-type" && v !== q.type) add(p, `contradicts the queue type ${show(q.type)}`);
      if (rule.queueTypes && !rule.queueTypes.includes(q.type))
        add(p, `does not apply to ${q.type} queues (only ${rule.queueTypes.join(", ")})`);
      if (rule.exchangeRef && typeof v === "string" && v !== DEFAULT_EXCHANGE) exchangeRef(p, q.vhost, v, "dead-letter exchange");
      if (k === "x-dead-letter-routing-key" && typeof v === "string" && bytes(v) > MAX_NAME_BYTES)
        add(p, `routing key is longer than ${MAX_NAME_BYTES} bytes`);
    }
  }

  const seenBindings = new Map<string, string>();
  for (const b of t.bindings) {
    if (!vhostRef(`${b.path}.vhost`, b.vhost)) continue;
    if (b.source === DEFAULT_EXCHANGE) add(`${b.path}.source`, `the default exchange "" cannot be bound; it routes by queue name`);
    else exchangeRef(`${b.path}.source`, b.vhost, b.source);
    if (b.destinationType === "queue") {
      if (!queues.get(b.vhost)?.has(b.destination))
        add(`${b.path}.destination`, `queue ${show(b.destination)} is not declared in vhost ${show(b.vhost)}${suggest(b.destination, [...(queues.get(b.vhost)?.keys() ?? [])])}`);
    } else if (b.destination === DEFAULT_EXCHANGE) {
      add(`${b.path}.destination`, `the default exchange "" cannot be a binding destination`);
    } else {
      exchangeRef(`${b.path}.destination`, b.vhost, b.destination);
    }
    if (bytes(b.routingKey) > MAX_NAME_BYTES) add(`${b.path}.routingKey`, `routing key is longer than ${MAX_NAME_BYTES} bytes`);
    const sourceType = exchanges.get(b.vhost)?.get(b.source) ?? BUILTIN_EXCHANGES.get(b.source);
    const xMatch = b.arguments["x-match"];
    if (xMatch !== undefined && !X_MATCH.includes(xMatch as string))
      add(`${b.path}.arguments.x-match`, `must be one of ${X_MATCH.join(", ")}, got ${show(xMatch)}`);
    if (sourceType === "headers") {
      for (const [k, v] of Object.entries(b.arguments))
        if (v !== null && typeof v === "object") add(`${b.path}.arguments.${k}`, `headers binding values must be strings, numbers or booleans`);
    }
    const id = bindingIdentity(b);
    const first = seenBindings.get(id);
    if (first !== undefined) add(b.path, `duplicates the binding at ${first}`);
    else seenBindings.set(id, b.path);
  }

  const checkPolicies = (list: readonly PolicySpec[], operator: boolean) => {
    const kind = operator ? "operator policy" : "policy";
    const names = new Map<string, Set<string>>();
    for (const p of list) {
      if (!vhostRef(`${p.path}.vhost`, p.vhost)) continue;
      const inV = names.get(p.vhost) ?? new Set();
      names.set(p.vhost, inV);
      if (inV.has(p.name)) add(`${p.path}.name`, `${kind} ${show(p.name)} is declared more than once in vhost ${show(p.vhost)}`);
      inV.add(p.name);
      const rx = regexIssue(p.pattern);
      if (rx) add(`${p.path}.pattern`, rx);
      if (operator && p.applyTo !== "queues") add(`${p.path}.applyTo`, `operator policies apply to queues only, got ${show(p.applyTo)}`);
      const allowed = operator ? OPERATOR_POLICY_KEYS : POLICY_KEYS;
      if (Object.keys(p.definition).length === 0) add(`${p.path}.definition`, `must set at least one key`);
      for (const [k, v] of Object.entries(p.definition)) {
        const path = `${p.path}.definition.${k}`;
        const rule = SETTINGS[k];
        if (!rule || !allowed.includes(k)) {
          add(path, `unknown ${kind} key ${show(k)}${suggest(k, allowed)}`);
          continue;
        }
        const problem = rule.check(v);
        if (problem) add(path, problem);
        else if (typeof v === "string" && /^-?\d+$/.test(v))
          // The rabbitmq provider turns integer-looking strings in definitions into numbers.
          add(path, `string values that look like integers cannot be sent as strings by the rabbitmq provider, got ${show(v)}`);
        else if (rule.exchangeRef && typeof v === "string" && v !== DEFAULT_EXCHANGE) exchangeRef(path, p.vhost, v);
        if (rule.exchange && p.applyTo === "queues") add(path, `applies to exchanges, but the ${kind} applies to queues`);
        if (!rule.exchange && p.applyTo === "exchanges") add(path, `applies to queues, but the ${kind} applies to exchanges`);
      }
    }
  };
  checkPolicies(t.policies, false);
  checkPolicies(t.operatorPolicies, true);

  const seenPerms = new Map<string, string>();
  for (const p of t.permissions) {
    userRef(`${p.path}.user`, p.user);
    vhostRef(`${p.path}.vhost`, p.vhost);
    for (const f of ["configure", "write", "read"] as const) {
      const rx = regexIssue(p[f]);
      if (rx) add(`${p.path}.${f}`, rx);
    }
    const id = `${p.user}\u0000${p.vhost}`;
    const first = seenPerms.get(id);
    if (first) add(p.path, `user ${show(p.user)} already has permissions on vhost ${show(p.vhost)} at ${first}`);
    else seenPerms.set(id, p.path);
  }
  const seenTopic = new Map<string, string>();
  for (const p of t.topicPermissions) {
    userRef(`${p.path}.user`, p.user);
    if (vhostRef(`${p.path}.vhost`, p.vhost)) {
      exchangeRef(`${p.path}.exchange`, p.vhost, p.exchange);
      const type = exchanges.get(p.vhost)?.get(p.exchange) ?? BUILTIN_EXCHANGES.get(p.exchange);
      if (type !== undefined && type !== "topic")
        add(`${p.path}.exchange`, `topic permissions apply to topic exchanges; ${show(p.exchange)} is a ${type} exchange`);
    }
    for (const f of ["write", "read"] as const) {
      const rx = regexIssue(p[f]);
      if (rx) add(`${p.path}.${f}`, rx);
    }
    const id = `${p.user}\u0000${p.vhost}\u0000${p.exchange}`;
    const first = seenTopic.get(id);
    if (first) add(p.path, `user ${show(p.user)} already has topic permissions on ${show(p.exchange)} in vhost ${show(p.vhost)} at ${first}`);
    else seenTopic.set(id, p.path);
  }
  return issues;
}
