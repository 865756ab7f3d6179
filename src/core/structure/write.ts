/** Structure writers and the no-clobber rules: never overwrite an input, never overwrite silently. */
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '../errors';
import type { Structure } from './types';
import { ByteWriter } from '../io/bytes';
import { writeFileStreamed } from '../io/output-file';
import { formatPdb, writePdb } from './pdb';
import { formatGro, writeGro } from './gro';
import { formatMmcif, writeMmcif } from './mmcif';
import { structureFormatOf, type StructureFormat } from '../io/formats';

export { formatPdb, formatGro, formatMmcif };

/** The file's text as one string (below ~512 MB; `writeStructureFile` streams instead). */
export function formatStructure(s: Structure, format: StructureFormat, opts: { models?: Float64Array[] } = {}): string {
  const w = new ByteWriter();
  writeStructure(w, s, format, opts);
  return w.toString();
}

/** A structure's records in `format` into a byte writer (no string, so no size limit with a sink). */
export function writeStructure(w: ByteWriter, s: Structure, format: StructureFormat, opts: { models?: Float64Array[] } = {}): void {
  switch (format) {
    case 'pdb':
      return writePdb(w, s, opts);
    case 'gro':
      return writeGro(w, s, opts);
    case 'cif':
      return writeMmcif(w, s, opts);
    default:
      throw new Error(`unknown structure format ${format as string}`);
  }
}

/** Canonical path for comparisons: resolved, and through symlinks when the file exists. */
function canonical(p: string): string {
  const r = resolve(p);
  try {
    return realpathSync(r);
  } catch {
    try {
      return join(realpathSync(dirname(r)), basename(r));
    } catch {
      return r;
    }
  }
}

export interface WriteOptions {
  /** Overwrite an existing file (never one listed in `protect`). */
  force?: boolean;
  /** Paths that must never be written (the inputs of the run). */
  protect?: string[];
  models?: Float64Array[];
}

/** Checks the no-clobber rules for `path` and throws InputError when writing is not allowed. */
export function assertWritable(path: string, opts: { force?: boolean; protect?: string[] } = {}): void {
  const target = canonical(path);
  for (const p of opts.protect ?? []) {
    if (canonical(p) === target) throw new InputError('refusing to overwrite an input file (choose another output path)', path);
  }
  if (existsSync(path) && !opts.force) throw new InputError('output file already exists (use --force to overwrite, or choose another path)', path);
}

export function writeStructureFile(path: string, s: Structure, opts: WriteOptions = {}): void {
  const fmt = structureFormatOf(path);
  if (!fmt) throw new InputError('unknown output structure type: use .pdb, .gro, .cif or .mmcif (optionally .gz)', path);
  assertWritable(path, opts);
  if (path.toLowerCase().endsWith('.gz')) {
    // gzipSync takes the whole text: it is formatted into memory as bytes (never a string, which stops at ~512 MB).
    const w = new ByteWriter(1 << 20);
    try {
      writeStructure(w, s, fmt, { models: opts.models });
    } catch (e) {
      // Past the largest buffer (4 GB): name the file; the uncompressed path streams and has no such limit.
      if (e instanceof RangeError) throw new InputError(e.message, path);
      throw e;
    }
    writeFileAtomic(path, gzipSync(w.bytes()));
    return;
  }
  // Streamed through a fixed buffer: memory does not grow with the output, whatever its size.
  writeFileStreamed(path, (sink) => {
    const w = new ByteWriter(1 << 22, sink);
    writeStructure(w, s, fmt, { models: opts.models });
    w.flush();
  });
}

/** Writes beside the target and renames, so a failure never leaves a half-written output. No overwrite checks: call `assertWritable` first. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeFileStreamed(path, (sink) => sink(typeof data === 'string' ? Buffer.from(data) : data));
}

/** `x.pdb` when free, else `x-1.pdb`, `x-2.pdb`, …: the first that does not exist (`.gz` kept at the end). */
export function nonClobberingPath(path: string): string {
  if (!existsSync(path)) return path;
  const m = /^(.*?)((?:\.[A-Za-z0-9]+)?(?:\.gz)?)$/.exec(path)!;
  let stem = m[1], ext = m[2];
  if (stem === '' || stem.endsWith('/') || stem.endsWith('\\')) {
    stem = path;
    ext = '';
  }
  for (let k = 1; ; k++) {
    const p = `${stem}-${k}${ext}`;
    if (!existsSync(p)) return p;
  }
}
