// How a publish can fail, and which broker errors are worth retrying.

/**
 * - `invalid`: the alert does not pass the schema (nothing was sent);
 * - `unroutable`: the broker returned it (mandatory): no queue is bound for its key and the
 *   exchange has no alternate exchange; not retried, since the answer would be the same;
 * - `refused`: the broker refused the user (login, vhost, write or topic permission) or the
 *   exchange does not exist: a configuration error, not retried;
 * - `timeout`: not confirmed before the publish deadline, after retrying nacks, lost
 *   connections and missing confirms (the message names the last cause);
 * - `closed`: the producer was closed first.
 */
export type PublishFailure = "invalid" | "unroutable" | "refused" | "timeout" | "closed";

export class PublishError extends Error {
  constructor(
    message: string,
    readonly reason: PublishFailure,
    /** The alert's id. */
    readonly id: string,
    /** Times the message was handed to the broker. */
    readonly attempts: number,
  ) {
    super(message);
    this.name = "PublishError";
  }
}

/**
 * A broker error after which retrying cannot help: the user may not log in, use the vhost, write
 * to the exchange or with this topic, or the exchange is missing. `routingKey` is set when the
 * refusal names one (topic permissions), so only that key's messages fail.
 * https://www.rabbitmq.com/docs/access-control#topic-authorisation
 */
export interface Refusal {
  readonly message: string;
  readonly routingKey?: string;
}

export function refusalOf(err: unknown): Refusal | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  const m = err.message;
  // Channel closes carry the reply code; handshake failures only the text.
  const refused =
    code === 403 ||
    code === 404 ||
    code === 530 ||
    /\b(403|530) \((ACCESS-REFUSED|NOT-ALLOWED)\)|\b404 \(NOT-FOUND\) with message "NOT_FOUND - no exchange/.test(
      m,
    );
  if (!refused) return undefined;
  if (code === 404 && !/no exchange/.test(m)) return undefined;
  const topic = /access to topic '([^']*)' in exchange/.exec(m);
  return { message: m, routingKey: topic ? topic[1] : undefined };
}
