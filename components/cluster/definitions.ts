// The admin user, as a definitions file RabbitMQ imports at boot (`load_definitions`). It holds a
// salted SHA-256 hash, never the password: the plaintext is in no file and no environment value.
//
// Why not the alternatives RabbitMQ 3.10 offers: `default_pass` in rabbitmq.conf puts the
// plaintext in a file; RABBITMQ_DEFAULT_PASS (read by rabbit_env in 3.10, not only by the image)
// puts it in the container's environment (`docker inspect`, /proc/<pid>/environ) and, like
// default_pass, only applies at the very first boot. Definitions are imported at every boot, so a
// new hash also rotates the password; and because definitions are configured, RabbitMQ creates
// no default user (guest) and no default vhost, hence "/" is declared here.
import { createHash } from "node:crypto";
import { type NodeOptions, type RenderedFile, definitionsPath } from "./render";

export const HASHING_ALGORITHM = "rabbit_password_hashing_sha256";

/**
 * RabbitMQ's password hash: base64(salt ++ sha256(salt ++ utf8(password))), salt 4 bytes.
 * The salt is an input (generated once per stack, like the cookie) so the rendering is stable.
 */
export function hashPassword(password: string, salt: Uint8Array): string {
  if (salt.length !== 4) throw new Error(`the salt must be 4 bytes, got ${salt.length}`);
  const digest = createHash("sha256").update(salt).update(password, "utf8").digest();
  return Buffer.concat([salt, digest]).toString("base64");
}

export interface AdminUser {
  /** The administrator's name, e.g. `warren:broker.username`. */
  readonly username: string;
  /** hashPassword(password, salt). */
  readonly passwordHash: string;
}

/** The definitions file: the admin user (tag administrator), vhost "/" and its permissions there. */
export function renderDefinitions(admin: AdminUser, node: NodeOptions = {}): RenderedFile {
  if (admin.username === "" || admin.username === "guest")
    throw new Error(`the admin user may not be ${JSON.stringify(admin.username)}`);
  if (!/^[A-Za-z0-9+/]{48}$/.test(admin.passwordHash))
    throw new Error("passwordHash is not a RabbitMQ SHA-256 password hash (use hashPassword)");
  const definitions = {
    users: [
      {
        name: admin.username,
        password_hash: admin.passwordHash,
        hashing_algorithm: HASHING_ALGORITHM,
        tags: ["administrator"],
      },
    ],
    vhosts: [{ name: "/" }],
    permissions: [{ user: admin.username, vhost: "/", configure: ".*", write: ".*", read: ".*" }],
  };
  // Mode 0600: a hash is still worth keeping to the rabbitmq user.
  return {
    path: definitionsPath(node),
    content: JSON.stringify(definitions, null, 2) + "\n",
    mode: 0o600,
  };
}
