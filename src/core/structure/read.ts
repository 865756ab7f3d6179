/**
 * Structure file reading: format from the extension (io/formats.ts; optionally .gz), parsing with our own readers.
 *
 * Mol*'s readers (node_modules/molstar/lib/mol-io/reader/{pdb,gro,cif}) are NOT used, because:
 *  - they are driven through Mol*'s `Task` runtime and are async only (the CIF text parser awaits
 *    `chunkedSubtask` inside its loop reader); the CLI, the language server and the worker need a plain
 *    synchronous call, and the low-level CIF tokenizer functions are module-private, not exported;
 *  - the PDB "parser" only splits lines (the interpretation lives in Mol*'s model layer, which builds a
 *    full Mol* model we do not need), and the GRO parser reports no line numbers for bad atoms and
 *    silently turns unparsable numbers into NaN;
 *  - errors carry at best one line number, with no way to name both lines of a duplicate atom;
 *  - our fixed-column readers (charCodeAt/slice, one pass) parse > 1M atoms/s, with altloc, hybrid-36,
 *    wrapped numbering and model-consistency rules that Mol* does not check.
 * Mol* still reads our output in the comparison webview.
 */
import { readFileSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../errors';
import type { Structure } from './types';
import { parsePdb } from './pdb';
import { parseGro } from './gro';
import { parseMmcif } from './mmcif';

import { structureFormatOf, type StructureFormat } from '../io/formats';

/** Guesses the format from the content (used when the name says nothing). */
export function sniffStructureFormat(text: string): StructureFormat {
  const head = text.slice(0, 4096);
  if (/^\s*data_/m.test(head) && /_atom_site\./.test(text.slice(0, 1 << 20))) return 'cif';
  if (/^\s*data_/.test(head)) return 'cif';
  const lines = head.split('\n');
  if (lines.length > 2 && /^\s*\d+\s*$/.test(lines[1]) && !/^(ATOM|HETATM|HEADER|REMARK|CRYST1|MODEL)/.test(lines[0])) return 'gro';
  return 'pdb';
}

const GZIP = (d: Uint8Array) => d.length >= 2 && d[0] === 0x1f && d[1] === 0x8b;

/** Bytes (plain or gzip) to text; invalid UTF-8 becomes U+FFFD, which the parsers report as binary data. */
export function decodeStructureBytes(data: Uint8Array, source: string): string {
  let bytes = data;
  if (GZIP(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new InputError(`corrupt gzip data: ${(e as Error).message}`, source);
    }
  }
  // The parsers read one string, and V8 strings stop at ~512 MB: say so instead of failing inside the decoder.
  if (bytes.length > bufferConstants.MAX_STRING_LENGTH) {
    throw new InputError(`${bytes.length} bytes of text are more than the structure readers hold (${bufferConstants.MAX_STRING_LENGTH} bytes, about 512 MB or 6.5 million PDB atoms): split the system into smaller files`, source);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

export function parseStructure(data: string | Uint8Array, source: string, format?: StructureFormat): Structure {
  const text = typeof data === 'string' ? data : decodeStructureBytes(data, source);
  const fmt = format ?? structureFormatOf(source) ?? sniffStructureFormat(text);
  switch (fmt) {
    case 'pdb':
      return parsePdb(text, source);
    case 'gro':
      return parseGro(text, source);
    case 'cif':
      return parseMmcif(text, source);
    default:
      throw new InputError(`unknown structure format "${fmt as string}"`, source);
  }
}

export function readStructureFile(path: string, format?: StructureFormat): Structure {
  const fmt = format ?? structureFormatOf(path);
  if (!fmt) throw new InputError('unknown structure file type: expected .pdb, .ent, .gro, .cif or .mmcif (optionally .gz)', path);
  let data: Uint8Array;
  try {
    data = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a structure file' : `cannot read: ${(e as Error).message}`, path);
  }
  if (data.length === 0) throw new InputError('file is empty', path, 1);
  return parseStructure(data, path, fmt);
}
export { detectUnitProblem } from '../io/units';
export { readWarnings } from '../io/assembler';
