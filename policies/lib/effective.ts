// Which policy applies to a queue, as RabbitMQ decides: among the policies of its vhost whose
// pattern matches its name and that apply to queues, the one with the highest priority (one
// policy and one operator policy at most). https://www.rabbitmq.com/docs/policies
import { compiles } from "./regex";
import { ofType, type QueueProps, queueArguments, type StackResource, T } from "./resources";

function winner(
  resources: readonly StackResource[],
  type: typeof T.policy | typeof T.operatorPolicy,
  vhost: string | undefined,
  name: string | undefined,
): Record<string, string> {
  const applicable = ofType(resources, type)
    .filter((r) => r.props.vhost === vhost)
    .filter(
      (r) =>
        ["queues", "all"].includes(r.props.policy?.applyTo ?? "") &&
        (compiles(r.props.policy?.pattern ?? "")?.test(String(name)) ?? false),
    )
    .sort((a, b) => (b.props.policy?.priority ?? 0) - (a.props.policy?.priority ?? 0));
  return applicable[0]?.props.policy?.definition ?? {};
}

/** A queue's effective settings: its arguments (without `x-`), then its policy, then its operator policy. */
export function effectiveQueueSettings(
  resources: readonly StackResource[],
  queue: QueueProps,
): Record<string, unknown> {
  const { vhost, name } = queue;
  const args = Object.fromEntries(
    Object.entries(queueArguments(queue)).map(([k, v]) => [k.replace(/^x-/, ""), v]),
  );
  return {
    ...winner(resources, T.operatorPolicy, vhost, name),
    ...winner(resources, T.policy, vhost, name),
    ...args,
  };
}
