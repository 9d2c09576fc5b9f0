// Before anything is planned against an external broker: can we reach its management API, and do
// the admin credentials work? Fails with the URL and the reason instead of a provider error
// half-way through an update.
import * as pulumi from "@pulumi/pulumi";

export interface BrokerConnection {
  readonly managementUrl: string;
  readonly username: string;
  readonly password: string;
}

/** Resolves when the admin can use the management API; rejects with a RunError otherwise. */
export async function checkBroker(b: BrokerConnection, timeoutMs = 10_000): Promise<void> {
  const url = `${b.managementUrl.replace(/\/+$/, "")}/api/whoami`;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: {
        authorization: `Basic ${Buffer.from(`${b.username}:${b.password}`).toString("base64")}`,
      },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new pulumi.RunError(
      `warren:broker.managementUrl: cannot reach the RabbitMQ management API at ${b.managementUrl}: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
    );
  }
  if (res.status === 401)
    throw new pulumi.RunError(
      `warren:broker: the management API at ${b.managementUrl} refused user "${b.username}" (wrong username or password)`,
    );
  if (!res.ok)
    throw new pulumi.RunError(
      `warren:broker.managementUrl: ${url} answered ${res.status} ${res.statusText}`,
    );
  const me = (await res.json()) as { tags?: string | string[] };
  const tags = Array.isArray(me.tags) ? me.tags : String(me.tags ?? "").split(",");
  if (!tags.includes("administrator"))
    throw new pulumi.RunError(
      `warren:broker.username: user "${b.username}" needs the administrator tag to manage the topology (has: ${tags.join(", ") || "none"})`,
    );
}
