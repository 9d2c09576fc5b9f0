// What the sink does with a call it has received in full (a webhook POST, an SMTP message), the
// same for both protocols: draw its fate, wait if slowed, then refuse it or record it, and only
// then answer, so that whatever a client was told was accepted is in the record.
import type { Faults } from "./faults";
import type { Journal } from "./journal";
import { log } from "./log";

export interface Sink {
  readonly journal: Journal;
  readonly faults: Faults;
  readonly startedAt: Date;
}

/** The alert id in a webhook body (markdown `> id:`, text `Alert ID:`, JSON `"id"`) or a mail. */
const ID = /(?:> id: |Alert ID: |"id":")([^"\s\\]+)/;

export function alertId(text: string): string {
  return ID.exec(text)?.[1] ?? "unknown";
}

export type Outcome =
  | { readonly kind: "accepted" }
  | { readonly kind: "refused" }
  /** The client left before it could be answered; whatever is answered goes nowhere. */
  | { readonly kind: "gone" }
  | { readonly kind: "error"; readonly err: unknown };

export interface Call {
  readonly channel: string;
  readonly text: string;
  /** The client is no longer there to be answered. */
  gone(): boolean;
  answer(outcome: Outcome): void;
}

export function handleCall(sink: Sink, call: Call): void {
  const fate = sink.faults.next();
  const settle = () => {
    if (fate.fail) return call.answer({ kind: "refused" });
    // A client that gave up while the call was delayed was never told it was accepted: recording
    // it would count a delivery that, to the client, failed (it retries; that one is recorded).
    if (call.gone()) {
      log("call.client-gone", { channel: call.channel, delayMs: fate.delayMs });
      return call.answer({ kind: "gone" });
    }
    try {
      sink.journal.append(call.channel, alertId(call.text));
    } catch (err) {
      log("journal.append-failed", { channel: call.channel, err });
      return call.answer({ kind: "error", err });
    }
    call.answer({ kind: "accepted" });
  };
  if (fate.delayMs > 0) setTimeout(settle, fate.delayMs);
  else settle();
}
