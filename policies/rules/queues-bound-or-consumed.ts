// Routing: a queue nothing routes to and nobody may read is a mistake (a typo in a binding, or a
// leftover that fills up).
import type { StackValidationPolicy } from "@pulumi/policy";
import { matches } from "../lib/regex";
import { T, objectId, ofType } from "../lib/resources";

export const queuesBoundOrConsumed: StackValidationPolicy = {
  name: "queues-bound-or-consumed",
  description:
    "Every queue is the destination of a binding, or a non-admin user may read it by name.",
  severity: "medium",
  remediationSteps: "Bind the queue, grant its consumer read access, or remove it.",
  validateStack: (args, report) => {
    const bound = new Set(
      ofType(args.resources, T.binding)
        .filter((r) => (r.props.destinationType ?? "queue") === "queue")
        .map((r) => `${r.props.vhost}/${r.props.destination}`),
    );
    const readers = ofType(args.resources, T.permissions);
    for (const q of ofType(args.resources, T.queue)) {
      const id = objectId(q.props);
      const read = readers.some(
        (p) =>
          p.props.vhost === q.props.vhost &&
          p.props.permissions?.read !== "^$" &&
          matches(p.props.permissions?.read ?? "", String(q.props.name)),
      );
      if (!bound.has(id) && !read)
        report(
          `queue "${String(q.props.name)}" in vhost "${String(q.props.vhost)}" is neither bound nor readable by any consumer`,
          q.urn,
        );
    }
  },
};
