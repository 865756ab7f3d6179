/**
 * Trajectory output: written to a temporary file beside the target and renamed on commit, so a crash or
 * a cancelled run never leaves a half-written trajectory under the final name.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { InputError } from '../errors';
import { assertWritable } from '../structure/write';

export class OutputFile {
  private fd: number;
  private readonly tmp: string;
  pos = 0;
  private done = false;

  constructor(
    readonly path: string,
    opts: { force?: boolean; protect?: string[] } = {},
  ) {
    assertWritable(path, opts);
    this.tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    try {
      this.fd = openSync(this.tmp, 'w');
    } catch (e) {
      throw new InputError(`cannot create: ${(e as Error).message}`, path);
    }
  }

  append(data: Uint8Array): void {
    if (this.done) throw new Error(`trajectory ${this.path} is already closed`);
    let off = 0;
    while (off < data.length) off += writeSync(this.fd, data, off, data.length - off, this.pos + off);
    this.pos += data.length;
  }

  /** Overwrites bytes already written (header fields patched at close). */
  patch(data: Uint8Array, position: number): void {
    writeSync(this.fd, data, 0, data.length, position);
  }

  commit(): void {
    if (this.done) return;
    this.done = true;
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
  }

  discard(): void {
    if (this.done) return;
    this.done = true;
    closeSync(this.fd);
    try {
      unlinkSync(this.tmp);
    } catch {
      /* already gone */
    }
  }
}
