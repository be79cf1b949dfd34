/**
 * Splits a byte stream into lines (each with its '\n') without decoding it: diff content may be any
 * bytes (CRLF, Latin-1, invalid UTF-8), and the packets must reproduce it exactly. A line that lies
 * inside one chunk is passed as a range of that chunk (no copy, no object); only lines across chunk
 * boundaries are copied.
 */
export class LineSplitter {
  private carry: Buffer[] = [];

  constructor(private readonly onLine: (src: Buffer, start: number, end: number) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    const onLine = this.onLine;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      if (this.carry.length) {
        this.carry.push(chunk.subarray(start, nl + 1));
        const line = Buffer.concat(this.carry);
        this.carry = [];
        onLine(line, 0, line.length);
      } else onLine(chunk, start, nl + 1);
      start = nl + 1;
    }
    if (start < chunk.length) this.carry.push(chunk.subarray(start));
  }

  /** The last line, when the stream does not end with '\n'. */
  end(): void {
    if (this.carry.length) {
      const line = Buffer.concat(this.carry);
      this.onLine(line, 0, line.length);
    }
    this.carry = [];
  }
}
