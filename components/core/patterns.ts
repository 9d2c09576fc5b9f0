// RabbitMQ patterns (PCRE) built from literal names: permission and policy patterns that match
// exactly the named objects.

/** Escapes a literal for use inside a RabbitMQ (PCRE) permission or policy pattern. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/** `^(a|b|c)$` for literals, anchored and escaped. */
export function exactly(...names: string[]): string {
  return names.length === 1
    ? `^${escapeRegex(names[0])}$`
    : `^(${names.map(escapeRegex).join("|")})$`;
}
