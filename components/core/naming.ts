// Names warren gives things in more than one place: the admin user, the Docker network of a
// stack, the Docker nodes' hostnames. One definition each, so the runtimes and tests agree.

/** The admin user the cluster runtimes create at boot (its password is generated). */
export const ADMIN_USER = "warren-admin";

/** A Docker stack's network (and prefix of its containers and volumes) unless configured. */
export function defaultDockerNetwork(stack: string): string {
  return `warren-${stack}`;
}

/** The Docker nodes' hostnames (and container names): `<prefix>-rabbit-1` .. `-rabbit-<n>`. */
export function dockerNodeHostnames(prefix: string, replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => `${prefix}-rabbit-${i + 1}`);
}
