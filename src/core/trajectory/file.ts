/** Sequential reads from a binary file without loading it: trajectories can be many GB. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../errors';

export class FileCursor {
  readonly fd: number;
  readonly size: number;
  pos = 0;
  private scratch = Buffer.alloc(1 << 16);
  private closed = false;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new InputError(code === 'ENOENT' ? 'file not found' : `cannot open: ${(e as Error).message}`, path);
    }
    const st = fstatSync(this.fd);
    if (st.isDirectory()) {
      closeSync(this.fd);
      throw new InputError('is a directory, not a trajectory file', path);
    }
    this.size = st.size;
  }

  get remaining(): number {
    return this.size - this.pos;
  }

  /**
   * Exactly `n` bytes at the current position (a view valid until the next read), or null when the
   * file ends first (the position is then left unchanged so the caller can report where).
   */
  read(n: number): Buffer | null {
    if (this.pos + n > this.size) return null;
    if (n > this.scratch.length) this.scratch = Buffer.alloc(Math.max(n, this.scratch.length * 2));
    let got = 0;
    while (got < n) {
      const k = readSync(this.fd, this.scratch, got, n - got, this.pos + got);
      if (k <= 0) return null;
      got += k;
    }
    this.pos += n;
    return this.scratch.subarray(0, n);
  }

  skip(n: number): boolean {
    if (this.pos + n > this.size) return false;
    this.pos += n;
    return true;
  }

  close(): void {
    if (!this.closed) {
      this.closed = true;
      closeSync(this.fd);
    }
  }
}
