// Routing: a binding whose exchange or queue is not declared fails on the broker, or binds to
// something managed elsewhere that may disappear.
import type { StackValidationPolicy } from "@pulumi/policy";
import { BUILTIN_EXCHANGES } from "../../components/topology/spec";
import { T, objectId, ofType } from "../lib/resources";

export const bindingsReferenceExisting: StackValidationPolicy = {
  name: "bindings-reference-existing-objects",
  description:
    "Every binding's source exchange and destination queue or exchange is declared in the same stack and vhost.",
  severity: "high",
  remediationSteps: "Declare the exchange or queue, or fix the name in the binding.",
  validateStack: (args, report) => {
    const exchanges = new Set(ofType(args.resources, T.exchange).map((r) => objectId(r.props)));
    const queues = new Set(ofType(args.resources, T.queue).map((r) => objectId(r.props)));
    const exchangeExists = (vhost: string, name: string) =>
      BUILTIN_EXCHANGES.has(name) || exchanges.has(`${vhost}/${name}`);
    for (const b of ofType(args.resources, T.binding)) {
      const { vhost, source, destination } = b.props;
      const destType = b.props.destinationType ?? "queue";
      if (!exchangeExists(vhost, source))
        report(`binding from "${source}" in vhost "${vhost}": the exchange is not declared`, b.urn);
      const destOk =
        destType === "queue"
          ? queues.has(`${vhost}/${destination}`)
          : exchangeExists(vhost, destination);
      if (!destOk)
        report(
          `binding to ${destType} "${destination}" in vhost "${vhost}": it is not declared`,
          b.urn,
        );
    }
  },
};
