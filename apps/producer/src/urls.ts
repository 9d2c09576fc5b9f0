// Node URLs: parsed once into amqplib's connect options, and shown without their password.
import type * as amqp from "amqplib";

export interface NodeUrl {
  /** What amqplib connects with. */
  readonly connect: amqp.Options.Connect;
  /** The URL without its password: safe for results, errors and logs. */
  readonly display: string;
}

export interface Credentials {
  readonly username?: string;
  readonly password?: string;
}

/**
 * Parses `amqp://[user[:password]@]host[:port][/vhost]` (or `amqps://`). `credentials` override
 * the URL's. Throws a TypeError naming the URL (without its password) when it is not usable.
 */
export function parseNodeUrl(
  raw: string,
  heartbeatSeconds: number,
  credentials: Credentials = {},
): NodeUrl {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new TypeError(`not a URL: ${JSON.stringify(redactUrl(raw))}`);
  }
  const display = redactUrl(raw);
  if (u.protocol !== "amqp:" && u.protocol !== "amqps:")
    throw new TypeError(`${display}: must be amqp:// or amqps://`);
  if (!u.hostname) throw new TypeError(`${display}: has no host`);
  // Options belong to the producer, where they are checked, not to a query string that amqplib
  // would parse without a word about typos.
  if (u.search)
    throw new TypeError(
      `${display}: query parameters are not supported (use the producer's options)`,
    );
  const path = u.pathname.replace(/^\//, "");
  if (path.includes("/"))
    throw new TypeError(`${display}: the path is the vhost; a "/" in it is written %2F`);
  const username =
    credentials.username ?? (u.username ? decodeURIComponent(u.username) : undefined);
  const password =
    credentials.password ?? (u.password ? decodeURIComponent(u.password) : undefined);
  return {
    connect: {
      protocol: u.protocol.slice(0, -1),
      hostname: u.hostname.replace(/^\[|\]$/g, ""),
      port: u.port ? Number(u.port) : u.protocol === "amqp:" ? 5672 : 5671,
      // amqplib defaults both to guest only when both are missing; an explicit empty password
      // gives a clear "login refused" instead of a silent guest login.
      username: username ?? "",
      password: password ?? "",
      heartbeat: heartbeatSeconds,
      // amqplib unescapes the vhost itself (querystring.unescape), so it gets the encoded path.
      vhost: path === "" ? "/" : path,
    },
    display:
      credentials.username !== undefined ? redactUrl(withUser(raw, credentials.username)) : display,
  };
}

/** The URL with any password removed (best effort for strings that are not URLs). */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return raw.replace(/\/\/([^/@:]*):[^/@]*@/, "//$1@");
  }
}

function withUser(raw: string, user: string): string {
  try {
    const u = new URL(raw);
    u.username = encodeURIComponent(user);
    return u.toString();
  } catch {
    return raw;
  }
}
