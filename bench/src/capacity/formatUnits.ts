const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const cents = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const threeSignificant = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });

/** A count with thousands separators: whole above 100, three significant digits below. */
export function formatCount(value: number): string {
  if (Math.abs(value) >= 100) return integer.format(value);
  return threeSignificant.format(value);
}

/** A large count in words (1.5 million, 2.63 billion), else {@link formatCount}. */
export function formatLargeCount(value: number): string {
  if (value >= 1e9) return `${threeSignificant.format(value / 1e9)} billion`;
  if (value >= 1e6) return `${threeSignificant.format(value / 1e6)} million`;
  return formatCount(value);
}

/** Bytes in binary units (B, KiB, MiB, GiB, TiB), three significant digits. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${threeSignificant.format(value)} ${units[unit]}`;
}

/** US dollars with cents below 1000, whole dollars above. */
export function formatUsd(usd: number): string {
  return usd >= 1000 ? `$${integer.format(usd)}` : `$${cents.format(usd)}`;
}

/** A duration: seconds below two minutes, else minutes, else hours. */
export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${threeSignificant.format(seconds)} s`;
  if (seconds < 7200) return `${threeSignificant.format(seconds / 60)} min`;
  return `${threeSignificant.format(seconds / 3600)} h`;
}

/** A share as a percentage with three significant digits. */
export function formatPercent(share: number): string {
  return `${threeSignificant.format(share * 100)}%`;
}
