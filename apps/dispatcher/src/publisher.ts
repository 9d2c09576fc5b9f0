// Republishing a delivery (to the retry or parked exchange) on a confirm channel, one message at a
// time, and only reporting success once the broker has confirmed it. `mandatory` makes an
// unroutable message an error instead of a silent drop; publishing one at a time makes the
// basic.return that precedes a confirm unambiguous. Retries and parks are the rare path, so the
// serialisation costs nothing on the happy path.
import type * as amqp from "amqplib";

export type PublishFailure = "unroutable" | "nacked" | "timeout" | "closed";

export class PublishError extends Error {
  constructor(
    message: string,
    readonly failure: PublishFailure,
  ) {
    super(message);
    this.name = "PublishError";
  }
}

export class ConfirmPublisher {
  private tail: Promise<unknown> = Promise.resolve();
  private returned = false;

  /** `onTimeout` is told when a confirm never came: the channel is then in an unknown state. */
  constructor(
    readonly channel: amqp.ConfirmChannel,
    private readonly timeoutMs: number,
    private readonly onTimeout: () => void,
  ) {
    channel.on("return", () => {
      this.returned = true;
    });
  }

  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: amqp.Options.Publish,
  ): Promise<void> {
    const run = () => this.publishOne(exchange, routingKey, content, options);
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }

  private publishOne(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: amqp.Options.Publish,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.returned = false;
      let settled = false;
      const settle = (err?: PublishError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => {
        settle(
          new PublishError(`no confirm from the broker within ${this.timeoutMs}ms`, "timeout"),
        );
        this.onTimeout();
      }, this.timeoutMs);
      try {
        this.channel.publish(
          exchange,
          routingKey,
          content,
          { ...options, mandatory: true },
          // amqplib calls back with null (ack) or an Error (nack, or the channel closed first).
          (err: Error | null) => {
            if (err) {
              const closed = /closed/i.test(err.message);
              settle(
                new PublishError(
                  closed
                    ? "the channel closed before the broker confirmed"
                    : `exchange ${exchange} refused the message (nack: a queue is full or unavailable)`,
                  closed ? "closed" : "nacked",
                ),
              );
            } else if (this.returned) {
              settle(
                new PublishError(
                  `exchange ${exchange} has no queue for routing key ${routingKey}`,
                  "unroutable",
                ),
              );
            } else {
              settle();
            }
          },
        );
      } catch (e) {
        settle(new PublishError(`cannot publish: ${(e as Error).message}`, "closed"));
      }
    });
  }
}
