// Kubernetes resource quantities ("10Gi", "500m", "1.5G", "2e3"), parsed exactly, so sizes can
// be compared (a PVC never shrinks) and turned into bytes for RabbitMQ.

/** An exact rational value: numerator / denominator, denominator > 0. */
export interface Quantity {
  readonly num: bigint;
  readonly den: bigint;
}

// The grammar of k8s.io/apimachinery/pkg/api/resource: sign, decimal number, then a binary SI
// suffix, a decimal SI suffix or a decimal exponent.
const QUANTITY =
  /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|(n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/** The exact value of a Kubernetes quantity, or undefined when the string is not one. */
export function parseQuantity(text: string): Quantity | undefined {
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, sign, number, binary, decimal, exponent] = m;
  const [whole, fraction = ""] = number.split(".");
  let num = BigInt((whole || "0") + fraction) * (sign === "-" ? -1n : 1n);
  let den = 10n ** BigInt(fraction.length);
  if (binary) num *= 2n ** BigInt(BINARY[binary]);
  const power = decimal ? DECIMAL[decimal] : exponent !== undefined ? Number(exponent) : 0;
  // Kubernetes itself refuses exponents this large; so do we, rather than build huge numbers.
  if (Math.abs(power) > 100) return undefined;
  if (power >= 0) num *= 10n ** BigInt(power);
  else den *= 10n ** BigInt(-power);
  return { num, den };
}

/** -1, 0 or 1 as `a` is smaller than, equal to or larger than `b`; both must parse. */
export function compareQuantities(a: string, b: string): -1 | 0 | 1 {
  const qa = parseQuantity(a);
  const qb = parseQuantity(b);
  if (!qa || !qb) throw new Error(`not a Kubernetes quantity: ${JSON.stringify(qa ? b : a)}`);
  const left = qa.num * qb.den;
  const right = qb.num * qa.den;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** The quantity as whole bytes, rounded up as Kubernetes does ("1.5Ki" is 1536, "0.5" is 1). */
export function quantityToBytes(text: string): bigint {
  const q = parseQuantity(text);
  if (!q) throw new Error(`not a Kubernetes quantity: ${JSON.stringify(text)}`);
  const whole = q.num / q.den;
  return q.num % q.den > 0n ? whole + 1n : whole;
}

/** True when the string is a quantity above zero. */
export function isPositiveQuantity(text: string): boolean {
  const q = parseQuantity(text);
  return q !== undefined && q.num > 0n;
}
