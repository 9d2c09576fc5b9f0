// What every channel adapter offers: one call per alert that reports how it went, never throws.
import type { Outcome } from "../decide";
import type { Alert } from "../schema";

export interface Adapter {
  /** Delivers one alert; a transient or permanent outcome carries the reason (no secrets). */
  send(alert: Alert): Promise<Outcome>;
  /** Releases connections (SMTP pool); idempotent. */
  close(): Promise<void>;
}
