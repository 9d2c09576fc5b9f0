// RabbitMQ's information units (vm_memory_high_watermark.absolute, disk_free_limit.absolute), as
// rabbit_resource_monitor_misc:parse_information_unit/1 in 3.10.8 reads them.

/**
 * Bytes, or a whole number with k/kiB/M/MiB/G/GiB (powers of 2) or kB/MB/GB (powers of 10).
 * Other spellings ("KiB", "1.5GB", "2TB") fail or crash RabbitMQ 3.10's parser.
 */
export const INFORMATION_UNIT = /^(\d+)(k|kiB|kB|M|MiB|MB|G|GiB|GB)?$/;

const FACTOR: Record<string, bigint> = {
  "": 1n,
  k: 1024n,
  kiB: 1024n,
  kB: 1000n,
  M: 1024n ** 2n,
  MiB: 1024n ** 2n,
  MB: 1000n ** 2n,
  G: 1024n ** 3n,
  GiB: 1024n ** 3n,
  GB: 1000n ** 3n,
};

/** The number of bytes an information unit string stands for; throws on anything else. */
export function informationUnitBytes(text: string): bigint {
  const m = INFORMATION_UNIT.exec(text);
  if (!m) throw new Error(`not a RabbitMQ information unit: ${JSON.stringify(text)}`);
  return BigInt(m[1]) * FACTOR[m[2] ?? ""];
}
