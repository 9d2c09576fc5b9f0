// Whether a change widens access: permission and topic-permission regexes that now match more,
// new users with permissions, new user tags, and removed topic permissions (RabbitMQ authorises
// every routing key on an exchange for which a user has no topic permission).
//
// "Matches more" is decided against samples: every exchange and queue name declared in the vhost
// on either side (plus the built-in exchanges) for permissions; the alerting routing keys, retry
// and parking keys and literal binding keys for topic permissions. A regex that is a list of
// literal names (`^a$`, `^(a|b)$`) is compared exactly; one that is not, and that now matches a
// name nobody declared, is flagged as open-ended.
import { BROADCAST } from "../components/alerting/model";
import type { WarrenSpec } from "../components/config/spec";
import {
  BUILTIN_EXCHANGES,
  type PermissionSpec,
  type TopicPermissionSpec,
  type TopologySpec,
} from "../components/topology/spec";
import { cmp } from "./diff";

export interface RegexWidening {
  readonly field: string;
  /** Undefined: the user had no such permission before. */
  readonly before?: string;
  readonly after: string;
  /** Sample names matched now and not before, sorted. */
  readonly newlyMatched: readonly string[];
  /** Not a list of literal names, and now matches names no one declared. */
  readonly openEnded: boolean;
}

export interface AccessFinding {
  readonly vhost?: string;
  readonly kind: "permission" | "topic permission" | "user";
  readonly user: string;
  /** Topic permissions: the exchange. */
  readonly exchange?: string;
  readonly note?: string;
  readonly regexes: readonly RegexWidening[];
}

/** Names no config declares: a regex matching one of them matches names that may appear later. */
const PROBES = ["warren-review.undeclared-name", "x"];

const SPECIALS = new Set([..."\\^$.|?*+()[]{}"]);

/**
 * The names a regex matches when it is `^$`, `^name$` or `^(name|name…)$` with metacharacters
 * escaped, i.e. a list of literal names; undefined for any other regex. "" is `^$` to RabbitMQ.
 */
export function literalNames(pattern: string): Set<string> | undefined {
  if (pattern === "" || pattern === "^$") return new Set();
  const m = /^\^\((.*)\)\$$/.exec(pattern) ?? /^\^(.*)\$$/.exec(pattern);
  if (!m) return undefined;
  const names = new Set<string>();
  let cur = "";
  const body = m[1];
  const grouped = pattern.startsWith("^(");
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\") {
      const next = body[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined; // \d, \w, \1 … are not literals
      cur += next;
      i++;
    } else if (c === "|" && grouped) {
      names.add(cur);
      cur = "";
    } else if (SPECIALS.has(c)) {
      return undefined;
    } else {
      cur += c;
    }
  }
  names.add(cur);
  return names;
}

/** As RabbitMQ checks a permission: an unanchored match, with "" meaning `^$`. */
export function permits(pattern: string | undefined, name: string): boolean {
  if (pattern === undefined || pattern === "") return false;
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return false;
  }
}

/** How much more `after` grants than `before` (undefined: nothing) over the sample names. */
export function widening(
  field: string,
  before: string | undefined,
  after: string,
  samples: readonly string[],
): RegexWidening {
  const was = before === undefined ? new Set<string>() : literalNames(before);
  const is = literalNames(after);
  const matched = new Set(samples.filter((s) => permits(after, s) && !permits(before, s)));
  // Both lists of names: exact, whether or not the names are declared anywhere.
  if (was && is) for (const n of is) if (!was.has(n)) matched.add(n);
  const openEnded =
    !is && (was !== undefined || PROBES.some((p) => permits(after, p) && !permits(before, p)));
  return { field, before, after, newlyMatched: [...matched].sort(cmp), openEnded };
}

const widens = (w: RegexWidening) => w.newlyMatched.length > 0 || w.openEnded;

function resourceNames(t: TopologySpec, vhost: string): string[] {
  return [
    ...t.exchanges.filter((x) => x.vhost === vhost).map((x) => x.name),
    ...t.queues.filter((q) => q.vhost === vhost).map((q) => q.name),
  ];
}

function routingKeys(spec: WarrenSpec | undefined, vhost: string, exchange: string): string[] {
  if (!spec) return [];
  const out = spec.topology.bindings
    .filter((b) => b.vhost === vhost && b.source === exchange && !/[*#]/.test(b.routingKey))
    .map((b) => b.routingKey);
  const a = spec.alerting;
  if (a && a.vhost === vhost) {
    for (const s of a.severities)
      for (const w of [BROADCAST, ...a.channels.map((c) => c.name)]) out.push(`${s}.${w}`);
    for (const c of a.channels)
      out.push(c.name, ...a.retryDelays.map((d) => `${c.name}.${d.label}`));
  }
  return out;
}

const uniq = (xs: readonly string[]) => [...new Set(xs)].sort(cmp);

export function accessFindings(before: WarrenSpec | undefined, after: WarrenSpec): AccessFinding[] {
  const findings = [
    ...permissionFindings(before, after),
    ...topicPermissionFindings(before, after),
    ...tagFindings(before?.topology, after.topology),
  ];
  const group = (f: AccessFinding) => f.vhost ?? "\uffff";
  const order = ["permission", "topic permission", "user"];
  return findings.sort(
    (a, b) =>
      cmp(group(a), group(b)) ||
      order.indexOf(a.kind) - order.indexOf(b.kind) ||
      cmp(a.user, b.user) ||
      cmp(a.exchange ?? "", b.exchange ?? ""),
  );
}

const permKey = (p: Pick<PermissionSpec, "user" | "vhost">) => `${p.user}\u0000${p.vhost}`;
const topicKey = (p: TopicPermissionSpec) => `${p.user}\u0000${p.vhost}\u0000${p.exchange}`;

/** Vhost permissions that are new, or whose patterns now match more of the vhost's names. */
function permissionFindings(before: WarrenSpec | undefined, after: WarrenSpec): AccessFinding[] {
  const bt = before?.topology;
  const at = after.topology;
  const findings: AccessFinding[] = [];
  const names = (vhost: string) =>
    uniq([
      ...(bt ? resourceNames(bt, vhost) : []),
      ...resourceNames(at, vhost),
      ...BUILTIN_EXCHANGES.keys(),
    ]);
  const usersBefore = new Set(bt?.users.map((u) => u.name) ?? []);
  const permsBefore = new Map((bt?.permissions ?? []).map((p) => [permKey(p), p]));
  for (const p of at.permissions) {
    const was = permsBefore.get(permKey(p));
    const samples = names(p.vhost);
    const regexes = (["configure", "write", "read"] as const)
      .filter((f) => !was || was[f] !== p[f])
      .map((f) => widening(f, was?.[f], p[f], samples))
      .filter(widens);
    if (!was) {
      const note = usersBefore.has(p.user) ? "new in this vhost" : "new user";
      findings.push({
        vhost: p.vhost,
        kind: "permission",
        user: p.user,
        note: regexes.length ? note : `${note}, matching none of the names here`,
        regexes,
      });
    } else if (regexes.length) {
      findings.push({ vhost: p.vhost, kind: "permission", user: p.user, regexes });
    }
  }
  return findings;
}

/** Topic permissions that now match more routing keys, or whose removal opens every key. */
function topicPermissionFindings(
  before: WarrenSpec | undefined,
  after: WarrenSpec,
): AccessFinding[] {
  const bt = before?.topology;
  const at = after.topology;
  const findings: AccessFinding[] = [];
  const keys = (vhost: string, exchange: string) =>
    uniq([...routingKeys(before, vhost, exchange), ...routingKeys(after, vhost, exchange)]);
  const topicBefore = new Map((bt?.topicPermissions ?? []).map((p) => [topicKey(p), p]));
  const topicAfter = new Set(at.topicPermissions.map(topicKey));
  for (const p of at.topicPermissions) {
    const was = topicBefore.get(topicKey(p));
    if (!was) continue; // a new topic permission only narrows what the user may do
    const samples = keys(p.vhost, p.exchange);
    const regexes = (["write", "read"] as const)
      .filter((f) => was[f] !== p[f])
      .map((f) => widening(f, was[f], p[f], samples))
      .filter(widens);
    if (regexes.length)
      findings.push({
        vhost: p.vhost,
        kind: "topic permission",
        user: p.user,
        exchange: p.exchange,
        regexes,
      });
  }
  const permsAfter = new Set(at.permissions.map(permKey));
  const exchangeAfter = (vhost: string, name: string) =>
    BUILTIN_EXCHANGES.has(name) || at.exchanges.some((x) => x.vhost === vhost && x.name === name);
  for (const p of bt?.topicPermissions ?? []) {
    // Gone with the user's permissions in the vhost, or with the exchange, it leaves nothing open.
    if (
      topicAfter.has(topicKey(p)) ||
      !permsAfter.has(permKey(p)) ||
      !exchangeAfter(p.vhost, p.exchange)
    )
      continue;
    findings.push({
      vhost: p.vhost,
      kind: "topic permission",
      user: p.user,
      exchange: p.exchange,
      note: `removed: with no topic permission, RabbitMQ authorises every routing key on "${p.exchange}"`,
      regexes: [],
    });
  }
  return findings;
}

/** Users that gain tags (new users with tags included). */
function tagFindings(bt: TopologySpec | undefined, at: TopologySpec): AccessFinding[] {
  const findings: AccessFinding[] = [];
  const tagsBefore = new Map((bt?.users ?? []).map((u) => [u.name, new Set(u.tags)]));
  for (const u of at.users) {
    const was = tagsBefore.get(u.name);
    const added = u.tags.filter((t) => !was?.has(t));
    if (added.length === 0) continue;
    const list = added.map((t) => `"${t}"`).join(", ");
    findings.push({
      kind: "user",
      user: u.name,
      note: was ? `gains tag ${list}` : `new user with tag ${list}`,
      regexes: [],
    });
  }
  return findings;
}
