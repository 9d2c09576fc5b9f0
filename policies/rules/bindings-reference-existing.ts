// Routing: a binding whose exchange or queue is not declared fails on the broker, or binds to
// something managed elsewhere that may disappear.
import type { StackValidationPolicy } from "@pulumi/policy";
import { BUILTIN_EXCHANGES } from "../../components/topology/spec";
import { T, objectId } from "../lib/resources";

export const bindingsReferenceExisting: StackValidationPolicy = {
  name: "bindings-reference-existing-objects",
  description:
    "Every binding's source exchange and destination queue or exchange is declared in the same stack and vhost.",
  severity: "high",
  remediationSteps: "Declare the exchange or queue, or fix the name in the binding.",
  validateStack: (args, report) => {
    const exchanges = new Set(
      args.resources.filter((r) => r.type === T.exchange).map((r) => objectId(r.props)),
    );
    const queues = new Set(
      args.resources.filter((r) => r.type === T.queue).map((r) => objectId(r.props)),
    );
    const exchangeExists = (vhost: string, name: string) =>
      BUILTIN_EXCHANGES.has(name) || exchanges.has(`${vhost}/${name}`);
    for (const b of args.resources.filter((r) => r.type === T.binding)) {
      const { vhost, source, destination } = b.props as {
        vhost: string;
        source: string;
        destination: string;
      };
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
