import { usageError } from '@openclaw/policy/errors';

/** `--size-cap` values: plain bytes, or kb/mb (1 kb = 1024 bytes), case-insensitive. */
export function parseSize(text: string): number {
  const m = /^\s*(\d{1,12})\s*(b|kb|k|mb|m)?\s*$/i.exec(text);
  if (!m) throw usageError(`size "${text}" is not a size`, 'give bytes (102400) or kb/mb (100kb, 2mb; 1 kb = 1024 bytes)');
  const unit = (m[2] ?? 'b').toLowerCase();
  const n = Number(m[1]) * (unit.startsWith('m') ? 1024 * 1024 : unit.startsWith('k') ? 1024 : 1);
  if (!Number.isSafeInteger(n)) throw usageError(`size "${text}" is too large`);
  return n;
}

/** 1234567 → "1.2 MB" for people; artifacts always carry exact bytes. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
