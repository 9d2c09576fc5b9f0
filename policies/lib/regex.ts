// Reasoning about RabbitMQ permission and policy patterns (PCRE; JavaScript's RegExp is close
// enough for the anchored, literal-heavy patterns these rules look at).

export function compiles(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern);
  } catch {
    return undefined;
  }
}

/** Anchored at both ends (`^...$`), so it cannot match inside a longer name. */
export function isAnchored(pattern: string): boolean {
  return pattern.startsWith("^") && pattern.endsWith("$") && !pattern.endsWith("\\$");
}

/** Matches names nobody would declare: it grants everything (`.*`, `^.*$`, `.+`, `^$|.*` …). */
export function matchesAnything(pattern: string): boolean {
  const rx = compiles(pattern);
  return !!rx && ["zz-unlikely-name-7", "", "a.b.c"].filter((s) => rx.test(s)).length >= 2;
}

export function matches(pattern: string, name: string): boolean {
  return compiles(pattern)?.test(name) ?? false;
}
