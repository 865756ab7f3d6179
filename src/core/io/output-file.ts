/**
 * Output written to a temporary file beside the target and renamed over it on commit, so a failure or a cancelled
 * run never leaves a half-written file under the final name (structures, multi-model PDB, trajectories).
 * File-system errors become an InputError naming the target. No overwrite checks here: call `assertWritable` first.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { InputError } from '../errors';
import type { ByteSink } from './bytes';

const cannotWrite = (path: string, e: unknown) => new InputError(`cannot write: ${(e as Error).message}`, path);

export class OutputFile {
  private fd = -1;
  private readonly tmp: string;
  /** Bytes appended so far. */
  pos = 0;
  private done = false;

  constructor(readonly path: string) {
    this.tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    try {
      this.fd = openSync(this.tmp, 'wx');
    } catch (e) {
      throw cannotWrite(path, e);
    }
  }

  append(data: Uint8Array): void {
    if (this.done) throw new Error(`output ${this.path} is already closed`);
    try {
      for (let off = 0; off < data.length; ) off += writeSync(this.fd, data, off, data.length - off, this.pos + off);
    } catch (e) {
      throw cannotWrite(this.path, e);
    }
    this.pos += data.length;
  }

  /** `append` as a ByteSink: `new ByteWriter(capacity, file.sink)` streams formatted text into this file. */
  readonly sink: ByteSink = (chunk) => this.append(chunk);

  /** Overwrites bytes already written (header fields patched at close). */
  patch(data: Uint8Array, position: number): void {
    try {
      writeSync(this.fd, data, 0, data.length, position);
    } catch (e) {
      throw cannotWrite(this.path, e);
    }
  }

  commit(): void {
    if (this.done) return;
    this.done = true;
    try {
      closeSync(this.fd);
      renameSync(this.tmp, this.path);
    } catch (e) {
      removeQuietly(this.tmp);
      throw cannotWrite(this.path, e);
    }
  }

  /** Removes the partial file (best effort: it usually runs while another error is being reported). */
  discard(): void {
    if (this.done) return;
    this.done = true;
    try {
      closeSync(this.fd);
    } catch {
      /* the first error is the one reported */
    }
    removeQuietly(this.tmp);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/** Streams what `produce` hands its sink into `path` atomically; errors thrown by `produce` (a coordinate that does not fit the format, …) pass through unchanged. */
export function writeFileStreamed(path: string, produce: (sink: ByteSink) => void): void {
  const file = new OutputFile(path);
  try {
    produce(file.sink);
    file.commit();
  } catch (e) {
    file.discard();
    throw e;
  }
}
