// How RabbitMQ 3.10's exchange types match: topic keys word by word (a trie over binding keys,
// with `*` and `#`), and headers bindings against message headers. Pure; used by routing.ts.
import type { ArgValue } from "./spec";

/** The `x-match` modes the broker accepts (3.10+); any other value is refused at bind time. */
export const X_MATCH_MODES = ["all", "any", "all-with-x", "any-with-x"] as const;
export type XMatchMode = (typeof X_MATCH_MODES)[number];

/**
 * Words of a topic routing or binding key, as the broker splits them: on every `.`, keeping
 * empty words ("a..b" has 3 words, "." has 2), except that "" has no words at all, so only
 * "", "#", "#.#"... match it (checked against RabbitMQ 3.10).
 */
export function splitTopicKey(key: string): string[] {
  return key === "" ? [] : key.split(".");
}

interface TrieNode<T> {
  readonly literal: Map<string, TrieNode<T>>;
  star?: TrieNode<T>;
  hash?: TrieNode<T>;
  readonly values: T[];
}

function trieNode<T>(): TrieNode<T> {
  return { literal: new Map(), values: [] };
}

/** Topic bindings as a trie over words, so matching a key does not look at every binding. */
export class TopicTrie<T> {
  private readonly root: TrieNode<T> = trieNode();

  add(bindingKey: string, value: T): void {
    let node = this.root;
    let prev: string | undefined;
    for (const word of splitTopicKey(bindingKey)) {
      // "#.#" matches exactly what "#" matches; collapsing keeps matching linear in the key.
      if (word === "#" && prev === "#") continue;
      prev = word;
      if (word === "#") node = node.hash ??= trieNode();
      else if (word === "*") node = node.star ??= trieNode();
      else {
        let next = node.literal.get(word);
        if (!next) node.literal.set(word, (next = trieNode()));
        node = next;
      }
    }
    if (!node.values.includes(value)) node.values.push(value);
  }

  /** Calls `visit` for the value of every binding key matching `routingKey` (maybe repeatedly). */
  match(routingKey: string, visit: (value: T) => void): void {
    const words = splitTopicKey(routingKey);
    const walk = (node: TrieNode<T>, i: number): void => {
      if (i === words.length) {
        for (const v of node.values) visit(v);
      } else {
        const next = node.literal.get(words[i]);
        if (next) walk(next, i + 1);
        if (node.star) walk(node.star, i + 1);
      }
      if (node.hash) {
        // "#" takes zero or more words. No "#" follows a "#" (collapsed in add), so this stays
        // polynomial even for keys full of "#".
        for (let j = i; j <= words.length; j++) walk(node.hash, j);
      }
    };
    walk(this.root, 0);
  }

  /** Values of all matching binding keys, each once. */
  matchAll(routingKey: string): Set<T> {
    const out = new Set<T>();
    this.match(routingKey, (v) => out.add(v));
    return out;
  }
}

/** A headers binding, compiled: `any` or `all`, and the pairs that take part. */
export interface HeadersBinding<D> {
  readonly any: boolean;
  readonly pairs: ReadonlyArray<readonly [string, ArgValue]>;
  readonly dest: D;
}

/**
 * As rabbit_exchange_type_headers (3.10): `x-match` itself never takes part; in `all`/`any`
 * every other `x-*` binding argument is dropped too (so message `x-*` headers cannot matter);
 * a binding argument with no value (null, AMQP void) asks only that the header be present;
 * `all` with nothing left to compare matches every message, `any` matches none.
 */
export function headersMatch<D>(
  b: HeadersBinding<D>,
  headers: Readonly<Record<string, ArgValue>>,
): boolean {
  for (const [key, want] of b.pairs) {
    const ok =
      Object.prototype.hasOwnProperty.call(headers, key) &&
      headers[key] !== undefined &&
      (want === null || headerValueEquals(want, headers[key]));
    if (ok && b.any) return true;
    if (!ok && !b.any) return false;
  }
  return !b.any;
}

/**
 * Erlang `==` on the AMQP field values. At the top level the broker ignores the wire type, so
 * numbers compare by value (an int 1 equals a double 1.0), but a number never equals a string
 * or a boolean, and a header with no value equals nothing. Inside arrays and tables it compares
 * {type, value} pairs, in order: the simulator assumes both sides used the same client encoding
 * (the broker would not match e.g. `[1]` bound through the management API, stored as 64-bit
 * longs, against `[1]` from amqplib, sent as bytes), and table keys must come in the same order.
 */
function headerValueEquals(want: ArgValue, got: ArgValue): boolean {
  if (got === null) return false;
  return deepEqual(want, got);
}

function deepEqual(a: ArgValue, b: ArgValue): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => deepEqual(v, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && deepEqual(a[k], b[k]));
}
