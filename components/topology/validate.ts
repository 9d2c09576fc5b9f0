// Cross-object rules over a whole topology (references, duplicates, RabbitMQ's limits and argument
// types). Pure: returns every issue found, never throws, so a config is fixed in one pass.
import { type ConfigIssue, show, suggest } from "../core/issues";
import {
  OPERATOR_POLICY_KEYS,
  POLICY_KEYS,
  QUEUE_ARGUMENT_NAMES,
  SETTINGS,
  queueArgumentRule,
} from "./arguments";
import {
  type ArgValue,
  type Arguments,
  BUILTIN_EXCHANGES,
  type BindingSpec,
  DEFAULT_EXCHANGE,
  type PolicySpec,
  type QueueSpec,
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
  return JSON.stringify([
    b.vhost,
    b.source,
    b.destinationType,
    b.destination,
    b.routingKey,
    sortKeys(b.arguments),
  ]);
}

function sortKeys(a: Arguments): Arguments {
  return Object.fromEntries(
    Object.keys(a)
      .sort()
      .map((k) => [k, a[k]]),
  );
}

export function validateTopology(t: TopologySpec, opts: ValidateOptions = {}): ConfigIssue[] {
  // The order of the checks is the order of the messages: vhosts and users first, since every
  // other object refers to them.
  const c = new TopologyChecker(opts.externalUsers ?? []);
  c.vhosts(t);
  c.users(t);
  c.declareObjects(t);
  c.exchangeSettings(t);
  c.queueSettings(t);
  c.bindings(t);
  c.policies(t.policies, false);
  c.policies(t.operatorPolicies, true);
  c.permissions(t);
  c.topicPermissions(t);
  return c.issues;
}

/** Walks one topology, remembering what is declared so later objects' references can be checked. */
class TopologyChecker {
  readonly issues: ConfigIssue[] = [];
  private readonly declaredVhosts = new Set<string>();
  private readonly knownUsers: Set<string>;
  private readonly exchanges = new Map<string, Map<string, string>>(); // vhost -> name -> type
  private readonly queues = new Map<string, Map<string, string>>(); // vhost -> name -> type

  constructor(private readonly externalUsers: readonly string[]) {
    this.knownUsers = new Set(externalUsers);
  }

  private add(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  vhosts(t: TopologySpec): void {
    for (const v of t.vhosts) {
      if (this.declaredVhosts.has(v.name))
        this.add(`${v.path}.name`, `vhost ${show(v.name)} is declared more than once`);
      this.declaredVhosts.add(v.name);
      if (bytes(v.name) > MAX_NAME_BYTES)
        this.add(`${v.path}.name`, `is longer than ${MAX_NAME_BYTES} bytes`);
    }
  }

  private vhostRef(path: string, vhost: string): boolean {
    if (this.declaredVhosts.has(vhost)) return true;
    this.add(
      path,
      `vhost ${show(vhost)} is not declared${suggest(vhost, [...this.declaredVhosts])}`,
    );
    return false;
  }

  users(t: TopologySpec): void {
    const declared = new Set<string>();
    for (const u of t.users) {
      if (declared.has(u.name))
        this.add(`${u.path}.name`, `user ${show(u.name)} is declared more than once`);
      if (this.externalUsers.includes(u.name))
        this.add(
          `${u.path}.name`,
          `user ${show(u.name)} is the broker admin from warren:broker; it is managed outside the topology`,
        );
      declared.add(u.name);
      this.knownUsers.add(u.name);
      u.tags.forEach((tag, i) => {
        if (!(USER_TAGS as readonly string[]).includes(tag))
          this.add(
            `${u.path}.tags[${i}]`,
            `unknown user tag ${show(tag)}; known tags: ${USER_TAGS.join(", ")}${suggest(tag, USER_TAGS)}`,
          );
      });
      if (u.name === "guest")
        this.add(
          `${u.path}.name`,
          `the "guest" user is not allowed (default credentials); declare a named user`,
        );
    }
  }

  private userRef(path: string, user: string): void {
    if (!this.knownUsers.has(user))
      this.add(path, `user ${show(user)} is not declared${suggest(user, [...this.knownUsers])}`);
  }

  /** Exchanges and queues by vhost: names unique, not reserved, not too long. */
  declareObjects(t: TopologySpec): void {
    const declare = (
      m: Map<string, Map<string, string>>,
      kind: string,
      o: { path: string; vhost: string; name: string; type: string },
    ) => {
      this.vhostRef(`${o.path}.vhost`, o.vhost);
      if (bytes(o.name) > MAX_NAME_BYTES)
        this.add(`${o.path}.name`, `${kind} name is longer than ${MAX_NAME_BYTES} bytes`);
      if (o.name.startsWith("amq."))
        this.add(
          `${o.path}.name`,
          `${kind} name ${show(o.name)} starts with "amq.", which RabbitMQ reserves`,
        );
      let names = m.get(o.vhost);
      if (!names) m.set(o.vhost, (names = new Map<string, string>()));
      if (names.has(o.name))
        this.add(
          `${o.path}.name`,
          `${kind} ${show(o.name)} is declared more than once in vhost ${show(o.vhost)}`,
        );
      names.set(o.name, o.type);
    };
    for (const x of t.exchanges) declare(this.exchanges, "exchange", x);
    for (const q of t.queues) declare(this.queues, "queue", q);
  }

  private exchangeType(vhost: string, name: string): string | undefined {
    return this.exchanges.get(vhost)?.get(name) ?? BUILTIN_EXCHANGES.get(name);
  }

  private exchangeRef(path: string, vhost: string, name: string, what = "exchange"): void {
    if (BUILTIN_EXCHANGES.has(name) || this.exchanges.get(vhost)?.has(name)) return;
    this.add(
      path,
      `${what} ${show(name)} is not declared in vhost ${show(vhost)}${suggest(name, [...(this.exchanges.get(vhost)?.keys() ?? [])])}`,
    );
  }

  exchangeSettings(t: TopologySpec): void {
    for (const x of t.exchanges) {
      if (x.alternateExchange !== undefined) {
        this.exchangeRef(
          `${x.path}.alternateExchange`,
          x.vhost,
          x.alternateExchange,
          "alternate exchange",
        );
        if (x.alternateExchange === x.name)
          this.add(
            `${x.path}.alternateExchange`,
            `an exchange cannot be its own alternate exchange`,
          );
      }
      for (const [k, v] of Object.entries(x.arguments)) {
        const p = `${x.path}.arguments.${k}`;
        if (k === "alternate-exchange")
          this.add(
            p,
            `use the alternateExchange field instead of the "alternate-exchange" argument`,
          );
        else if (typeof v !== "string")
          this.add(
            p,
            `exchange arguments are sent to RabbitMQ as strings by the provider; use a string, got ${show(v)}`,
          );
      }
    }
  }

  queueSettings(t: TopologySpec): void {
    for (const q of t.queues) {
      const replicated = q.type === "quorum" || q.type === "stream";
      if (replicated && !q.durable)
        this.add(`${q.path}.durable`, `${q.type} queues must be durable`);
      if (replicated && q.autoDelete)
        this.add(`${q.path}.autoDelete`, `${q.type} queues cannot be auto-delete`);
      for (const [k, v] of Object.entries(q.arguments)) this.queueArgument(q, k, v);
    }
  }

  private queueArgument(q: QueueSpec, k: string, v: ArgValue): void {
    const p = `${q.path}.arguments.${k}`;
    const rule = queueArgumentRule(k);
    if (!rule)
      return this.add(p, `unknown queue argument ${show(k)}${suggest(k, QUEUE_ARGUMENT_NAMES)}`);
    const problem = rule.check(v);
    if (problem) return this.add(p, problem);
    if (k === "x-queue-type" && v !== q.type)
      this.add(p, `contradicts the queue type ${show(q.type)}`);
    if (rule.queueTypes && !rule.queueTypes.includes(q.type))
      this.add(p, `does not apply to ${q.type} queues (only ${rule.queueTypes.join(", ")})`);
    if (rule.exchangeRef && typeof v === "string" && v !== DEFAULT_EXCHANGE)
      this.exchangeRef(p, q.vhost, v, "dead-letter exchange");
    if (k === "x-dead-letter-routing-key" && typeof v === "string" && bytes(v) > MAX_NAME_BYTES)
      this.add(p, `routing key is longer than ${MAX_NAME_BYTES} bytes`);
  }

  bindings(t: TopologySpec): void {
    const seen = new Map<string, string>();
    for (const b of t.bindings) {
      if (!this.vhostRef(`${b.path}.vhost`, b.vhost)) continue;
      this.bindingEnds(b);
      if (bytes(b.routingKey) > MAX_NAME_BYTES)
        this.add(`${b.path}.routingKey`, `routing key is longer than ${MAX_NAME_BYTES} bytes`);
      const xMatch = b.arguments["x-match"];
      if (xMatch !== undefined && !X_MATCH.includes(xMatch as string))
        this.add(
          `${b.path}.arguments.x-match`,
          `must be one of ${X_MATCH.join(", ")}, got ${show(xMatch)}`,
        );
      if (this.exchangeType(b.vhost, b.source) === "headers")
        for (const [k, v] of Object.entries(b.arguments))
          if (v !== null && typeof v === "object")
            this.add(
              `${b.path}.arguments.${k}`,
              `headers binding values must be strings, numbers or booleans`,
            );
      const id = bindingIdentity(b);
      const first = seen.get(id);
      if (first !== undefined) this.add(b.path, `duplicates the binding at ${first}`);
      else seen.set(id, b.path);
    }
  }

  private bindingEnds(b: BindingSpec): void {
    if (b.source === DEFAULT_EXCHANGE)
      this.add(
        `${b.path}.source`,
        `the default exchange "" cannot be bound; it routes by queue name`,
      );
    else this.exchangeRef(`${b.path}.source`, b.vhost, b.source);
    if (b.destinationType === "queue") {
      const queues = this.queues.get(b.vhost);
      if (!queues?.has(b.destination))
        this.add(
          `${b.path}.destination`,
          `queue ${show(b.destination)} is not declared in vhost ${show(b.vhost)}${suggest(b.destination, [...(queues?.keys() ?? [])])}`,
        );
    } else if (b.destination === DEFAULT_EXCHANGE) {
      this.add(`${b.path}.destination`, `the default exchange "" cannot be a binding destination`);
    } else {
      this.exchangeRef(`${b.path}.destination`, b.vhost, b.destination);
    }
  }

  policies(list: readonly PolicySpec[], operator: boolean): void {
    const kind = operator ? "operator policy" : "policy";
    const names = new Map<string, Set<string>>();
    for (const p of list) {
      if (!this.vhostRef(`${p.path}.vhost`, p.vhost)) continue;
      const inVhost = names.get(p.vhost) ?? new Set();
      names.set(p.vhost, inVhost);
      if (inVhost.has(p.name))
        this.add(
          `${p.path}.name`,
          `${kind} ${show(p.name)} is declared more than once in vhost ${show(p.vhost)}`,
        );
      inVhost.add(p.name);
      const rx = regexIssue(p.pattern);
      if (rx) this.add(`${p.path}.pattern`, rx);
      if (operator && p.applyTo !== "queues")
        this.add(
          `${p.path}.applyTo`,
          `operator policies apply to queues only, got ${show(p.applyTo)}`,
        );
      if (Object.keys(p.definition).length === 0)
        this.add(`${p.path}.definition`, `must set at least one key`);
      for (const [k, v] of Object.entries(p.definition)) this.policyKey(p, kind, operator, k, v);
    }
  }

  private policyKey(p: PolicySpec, kind: string, operator: boolean, k: string, v: ArgValue): void {
    const path = `${p.path}.definition.${k}`;
    const allowed = operator ? OPERATOR_POLICY_KEYS : POLICY_KEYS;
    const rule = SETTINGS[k];
    if (!rule || !allowed.includes(k))
      return this.add(path, `unknown ${kind} key ${show(k)}${suggest(k, allowed)}`);
    const problem = rule.check(v);
    if (problem) this.add(path, problem);
    else if (typeof v === "string" && /^-?\d+$/.test(v))
      // The rabbitmq provider turns integer-looking strings in definitions into numbers.
      this.add(
        path,
        `string values that look like integers cannot be sent as strings by the rabbitmq provider, got ${show(v)}`,
      );
    else if (rule.exchangeRef && typeof v === "string" && v !== DEFAULT_EXCHANGE)
      this.exchangeRef(path, p.vhost, v);
    if (rule.exchange && p.applyTo === "queues")
      this.add(path, `applies to exchanges, but the ${kind} applies to queues`);
    if (!rule.exchange && p.applyTo === "exchanges")
      this.add(path, `applies to queues, but the ${kind} applies to exchanges`);
  }

  private patterns(path: string, fields: Readonly<Record<string, string>>): void {
    for (const [f, pattern] of Object.entries(fields)) {
      const rx = regexIssue(pattern);
      if (rx) this.add(`${path}.${f}`, rx);
    }
  }

  permissions(t: TopologySpec): void {
    const seen = new Map<string, string>();
    for (const p of t.permissions) {
      this.userRef(`${p.path}.user`, p.user);
      this.vhostRef(`${p.path}.vhost`, p.vhost);
      this.patterns(p.path, { configure: p.configure, write: p.write, read: p.read });
      const id = `${p.user}\u0000${p.vhost}`;
      const first = seen.get(id);
      if (first)
        this.add(
          p.path,
          `user ${show(p.user)} already has permissions on vhost ${show(p.vhost)} at ${first}`,
        );
      else seen.set(id, p.path);
    }
  }

  topicPermissions(t: TopologySpec): void {
    const seen = new Map<string, string>();
    for (const p of t.topicPermissions) {
      this.userRef(`${p.path}.user`, p.user);
      if (this.vhostRef(`${p.path}.vhost`, p.vhost)) {
        this.exchangeRef(`${p.path}.exchange`, p.vhost, p.exchange);
        const type = this.exchangeType(p.vhost, p.exchange);
        if (type !== undefined && type !== "topic")
          this.add(
            `${p.path}.exchange`,
            `topic permissions apply to topic exchanges; ${show(p.exchange)} is a ${type} exchange`,
          );
      }
      this.patterns(p.path, { write: p.write, read: p.read });
      const id = `${p.user}\u0000${p.vhost}\u0000${p.exchange}`;
      const first = seen.get(id);
      if (first)
        this.add(
          p.path,
          `user ${show(p.user)} already has topic permissions on ${show(p.exchange)} in vhost ${show(p.vhost)} at ${first}`,
        );
      else seen.set(id, p.path);
    }
  }
}
