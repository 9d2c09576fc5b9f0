// One change under review: the object diff, the alert-routing effect and the access findings of
// going from `before` (the base; undefined for a stack the base does not have) to `after`, and
// whether it needs an explicit approval: it destroys queued messages or stops delivering alerts.
import type { WarrenSpec } from "../components/config/spec";
import { type AccessFinding, accessFindings } from "./access";
import { type SpecDiff, diffSpecs } from "./diff";
import { type RoutingEffect, routingEffect } from "./routing-effect";

export interface Review {
  /** The base has no such stack file: everything is new. */
  readonly newStack: boolean;
  readonly diff: SpecDiff;
  readonly routing?: RoutingEffect;
  readonly access: readonly AccessFinding[];
  /** Why the change needs an explicit approval (exit code 2); empty when nothing is risky. */
  readonly approvals: readonly string[];
}

export const EXIT_OK = 0;
export const EXIT_NEEDS_APPROVAL = 2;

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function reviewChange(before: WarrenSpec | undefined, after: WarrenSpec): Review {
  const diff = diffSpecs(before, after);
  const routing = routingEffect(before, after);
  const access = accessFindings(before, after);
  const of = (kind: string, action: string, retained?: boolean) =>
    diff.changes.filter(
      (c) =>
        c.kind === kind &&
        c.action === action &&
        (retained === undefined || !!c.retained === retained),
    ).length;

  const approvals: string[] = [];
  const replacedQueues = of("queue", "replace");
  if (replacedQueues) approvals.push(`${count(replacedQueues, "queue", "queues")} replaced`);
  const deletedQueues = of("queue", "remove", false);
  if (deletedQueues) approvals.push(`${count(deletedQueues, "queue", "queues")} deleted`);
  const replacedVhosts = of("vhost", "replace");
  if (replacedVhosts)
    approvals.push(`${count(replacedVhosts, "vhost", "vhosts")} deleted and recreated`);
  if (routing?.lost.length)
    approvals.push(
      `${count(routing.lost.length, "(severity, channel) pair loses", "(severity, channel) pairs lose")} delivery`,
    );
  return { newStack: before === undefined, diff, routing, access, approvals };
}

/** 2 when the change needs an explicit approval, else 0 (errors, 1, are the caller's). */
export function exitCode(r: Review): number {
  return r.approvals.length ? EXIT_NEEDS_APPROVAL : EXIT_OK;
}
