import { describe, expect, it } from 'vitest';
import { parseSize } from '../src/index.js';

describe('--size-cap values', () => {
  it.each([
    ['102400', 102400],
    ['100kb', 102400],
    ['100KB', 102400],
    ['100k', 102400],
    ['2mb', 2 * 1024 * 1024],
    ['1 MB', 1024 * 1024],
    ['512b', 512],
  ])('%s = %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'lots', '10gb', '-5kb', '1.5mb', '100 kb extra'])('%j is a usage error', (text) => {
    expect(() => parseSize(text)).toThrow(expect.objectContaining({ code: 'usage', exitCode: 2 }));
  });
});
