// The delivered-id window: bounds by count and by age, eviction order, and a fast-check property
// against a naive reference (a list in remember order, scanned in full).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DeliveredIds } from "../../../apps/dispatcher/src/dedupe";

/** A clock the test moves by hand. */
function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe("delivered-id window", () => {
  it("has only what was remembered: an id that was not delivered passes", () => {
    const w = new DeliveredIds({ now: clock().now });
    assert.equal(w.seen("a"), false);
    w.remember("a");
    assert.equal(w.seen("a"), true);
    assert.equal(w.seen("b"), false);
    assert.equal(w.size, 1);
  });

  it("keeps at most maxEntries ids, dropping the least recently remembered", () => {
    const w = new DeliveredIds({ maxEntries: 3, now: clock().now });
    for (const id of ["a", "b", "c", "d"]) w.remember(id);
    assert.deepEqual(
      ["a", "b", "c", "d"].map((id) => w.seen(id)),
      [false, true, true, true],
    );
    assert.equal(w.size, 3);
  });

  it("moves an id remembered again to the newest end; seen() does not", () => {
    const w = new DeliveredIds({ maxEntries: 3, now: clock().now });
    for (const id of ["a", "b", "c"]) w.remember(id);
    w.remember("a"); // delivered again: now the newest
    assert.equal(w.seen("b"), true); // a query only: b stays the oldest
    w.remember("d");
    assert.deepEqual(
      ["a", "b", "c", "d"].map((id) => w.seen(id)),
      [true, false, true, true],
    );
    w.remember("e");
    assert.deepEqual(
      ["a", "c", "d", "e"].map((id) => w.seen(id)),
      [true, false, true, true],
    );
  });

  it("forgets an id maxAgeMs after it was remembered, and restarts the age when it is remembered again", () => {
    const c = clock();
    const w = new DeliveredIds({ maxAgeMs: 1_000, now: c.now });
    w.remember("a");
    c.advance(500);
    w.remember("b");
    c.advance(499);
    assert.deepEqual([w.seen("a"), w.seen("b")], [true, true]);
    c.advance(1); // a is exactly 1000 ms old: gone
    assert.deepEqual([w.seen("a"), w.seen("b")], [false, true]);
    w.remember("b"); // b again at 1000 ms
    c.advance(999);
    assert.equal(w.seen("b"), true);
    c.advance(1);
    assert.equal(w.seen("b"), false);
    assert.equal(w.size, 0);
  });

  it("defaults to 10,000 ids and 10 minutes", () => {
    const c = clock();
    const w = new DeliveredIds({ now: c.now });
    for (let i = 0; i <= 10_000; i++) w.remember(`id-${i}`);
    assert.equal(w.size, 10_000);
    assert.equal(w.seen("id-0"), false);
    assert.equal(w.seen("id-1"), true);
    c.advance(600_000 - 1);
    assert.equal(w.seen("id-10000"), true);
    c.advance(1);
    assert.equal(w.size, 0);
  });

  it("refuses bounds that are not positive", () => {
    assert.throws(
      () => new DeliveredIds({ maxEntries: 0 }),
      /maxEntries: must be a positive integer, got 0/,
    );
    assert.throws(() => new DeliveredIds({ maxEntries: 1.5 }), /maxEntries/);
    assert.throws(() => new DeliveredIds({ maxAgeMs: 0 }), /maxAgeMs: must be positive, got 0/);
    assert.throws(() => new DeliveredIds({ maxAgeMs: Number.NaN }), /maxAgeMs/);
  });

  it("answers like a naive reference for any sequence of deliveries, queries and clock steps", () => {
    type Op = { kind: "remember" | "seen"; id: string } | { kind: "advance"; ms: number };
    const id = fc.constantFrom("a", "b", "c", "d", "e", "f", "g");
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant("remember" as const), id }),
      fc.record({ kind: fc.constant("seen" as const), id }),
      fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 40 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 100 }),
        fc.array(op, { maxLength: 200 }),
        (maxEntries, maxAgeMs, ops) => {
          const c = clock(0);
          const w = new DeliveredIds({ maxEntries, maxAgeMs, now: c.now });
          // Reference: every remember, in order, one entry per id (the latest); an id is seen if it
          // is among the last maxEntries distinct ids remembered and younger than maxAgeMs.
          let ref: { id: string; at: number }[] = [];
          for (const o of ops) {
            if (o.kind === "advance") c.advance(o.ms);
            else if (o.kind === "remember") {
              w.remember(o.id);
              ref = [...ref.filter((e) => e.id !== o.id), { id: o.id, at: c.now() }];
            } else {
              const expected = ref
                .slice(-maxEntries)
                .some((e) => e.id === o.id && c.now() - e.at < maxAgeMs);
              assert.equal(w.seen(o.id), expected);
            }
            const live = ref.slice(-maxEntries).filter((e) => c.now() - e.at < maxAgeMs).length;
            assert.equal(w.size, live);
            assert.ok(w.size <= maxEntries);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
