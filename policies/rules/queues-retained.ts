// Durability: in prod, removing a queue from config does not delete it (and its messages). The
// analyzer protocol shows `protect` but not `retainOnDelete`, so a queue passes when it is
// protected or managed by warren:rabbitmq:Topology, which retains queues on delete in prod
// (checked by the component's unit tests).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { BATCHED, T, objectsOf } from "../lib/resources";

export const queuesRetained: ResourceValidationPolicy = {
  name: "queues-retained-in-prod",
  description:
    "Queues are protected or retained on delete, so a config change cannot drop their messages.",
  severity: "high",
  remediationSteps:
    "Manage queues with warren:rabbitmq:Topology (retains them in prod) or set `protect: true`.",
  validateResource: (args, report) => {
    const parent = args.opts.parent ?? "";
    // The Topology component retains queues in prod; a vhost resource says so in `retain`.
    const retained =
      parent.includes(`::${T.topology}::`) ||
      (args.type === BATCHED.vhostObjects && args.props.retain === true);
    for (const { props: queue } of objectsOf(args, T.queue))
      if (!args.opts.protect && !retained)
        report(
          `queue "${String(queue.name)}" in vhost "${String(queue.vhost)}" is neither protected nor retained on delete`,
        );
  },
};
