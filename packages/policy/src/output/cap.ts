/**
 * Output caps (SPEC §3): stdout and stderr together keep at most `maxChars` characters (200,000 by
 * default); the last `tailChars` (20,000) of the combined stream are kept for events. Truncated
 * text ends with `… (truncated)`. Byte counts cover everything the child wrote, kept or not.
 */
import { StringDecoder } from 'node:string_decoder';

export const DEFAULT_MAX_OUTPUT_CHARS = 200_000;
export const DEFAULT_TAIL_CHARS = 20_000;
export const TRUNCATION_MARK = '… (truncated)';

export interface CapturedOutput {
  stdout: string;
  stderr: string;
  stdout_bytes: number;
  stderr_bytes: number;
  stdout_truncated: boolean;
  stderr_truncated: boolean;
  /** The last `tailChars` characters of both streams in arrival order. */
  tail: string;
}

type StreamName = 'stdout' | 'stderr';

export class OutputCapture {
  private readonly kept: Record<StreamName, string[]> = { stdout: [], stderr: [] };
  private readonly bytes: Record<StreamName, number> = { stdout: 0, stderr: 0 };
  private readonly truncated: Record<StreamName, boolean> = { stdout: false, stderr: false };
  private readonly decoders: Record<StreamName, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private keptChars = 0;
  private tailParts: string[] = [];
  private tailChars = 0;

  constructor(
    readonly maxChars = DEFAULT_MAX_OUTPUT_CHARS,
    readonly tailLimit = DEFAULT_TAIL_CHARS,
  ) {}

  push(stream: StreamName, chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.bytes[stream] += buf.length;
    this.add(stream, this.decoders[stream].write(buf));
  }

  private add(stream: StreamName, text: string): void {
    if (text === '') return;
    const room = this.maxChars - this.keptChars;
    if (room >= text.length) {
      this.kept[stream].push(text);
      this.keptChars += text.length;
    } else {
      if (room > 0) {
        this.kept[stream].push(text.slice(0, room));
        this.keptChars += room;
      }
      this.truncated[stream] = true;
    }
    this.tailParts.push(text);
    this.tailChars += text.length;
    if (this.tailChars > this.tailLimit * 2) this.compactTail();
  }

  private compactTail(): void {
    const joined = this.tailParts.join('');
    const t = joined.slice(Math.max(0, joined.length - this.tailLimit));
    this.tailParts = [t];
    this.tailChars = t.length;
  }

  result(): CapturedOutput {
    for (const s of ['stdout', 'stderr'] as const) this.add(s, this.decoders[s].end());
    this.compactTail();
    const text = (s: StreamName) => this.kept[s].join('') + (this.truncated[s] ? `\n${TRUNCATION_MARK}` : '');
    return {
      stdout: text('stdout'),
      stderr: text('stderr'),
      stdout_bytes: this.bytes.stdout,
      stderr_bytes: this.bytes.stderr,
      stdout_truncated: this.truncated.stdout,
      stderr_truncated: this.truncated.stderr,
      tail: this.tailParts.join(''),
    };
  }
}

/** Caps a finished string the same way (for outputs that were not streamed). */
export function capText(text: string, maxChars = DEFAULT_MAX_OUTPUT_CHARS): { text: string; truncated: boolean } {
  return text.length <= maxChars ? { text, truncated: false } : { text: `${text.slice(0, maxChars)}\n${TRUNCATION_MARK}`, truncated: true };
}
