/**
 * PDB reader and writer. Fixed columns are read with charCodeAt/slice (no regexes or splits per line):
 * this is the hot path for million-atom CG and all-atom systems.
 */
import { InputError } from '../errors';
import type { Box, Structure } from './types';
import { ModelAssembler, Unwrapper } from '../io/assembler';
import { hy36decode, hy36encode } from '../io/hybrid36';
import { assertText, fieldPresent, fmtFixed, parseFloatField } from '../io/text';
import { guessElement, normalizeElement } from './elements';
import { ByteWriter } from '../io/bytes';

// Single-character fields (altLoc, chain, insertion code) come from a table so equal values are the
// same string object and comparisons in the assembler are cheap.
const CHAR = Array.from({ length: 128 }, (_, i) => (i === 32 ? '' : String.fromCharCode(i)));
const charAt = (s: string, i: number): string => {
  if (i >= s.length) return '';
  const c = s.charCodeAt(i);
  return c < 128 ? CHAR[c] : s[i];
};

function trimSlice(s: string, start: number, end: number): string {
  if (end > s.length) end = s.length;
  while (start < end && s.charCodeAt(start) === 32) start++;
  while (end > start && s.charCodeAt(end - 1) === 32) end--;
  return start >= end ? '' : s.slice(start, end);
}

/**
 * The engine's internalized copy of a string: equal names are then the same object, and the duplicate
 * scan in the assembler compares pointers instead of characters.
 */
const intern = (s: string): string => Object.keys({ [s]: 0 })[0];

/** Trimmed 4-column field at `p`, cached by a numeric key of its characters (ASCII only). */
function cachedField(text: string, p: number, cache: Map<number, string>): string {
  const c0 = text.charCodeAt(p), c1 = text.charCodeAt(p + 1), c2 = text.charCodeAt(p + 2), c3 = text.charCodeAt(p + 3);
  if ((c0 | c1 | c2 | c3) < 128) {
    const key = c0 | (c1 << 7) | (c2 << 14) | (c3 << 21);
    let v = cache.get(key);
    if (v === undefined) {
      v = intern(trimSlice(text, p, p + 4));
      if (cache.size < 65536) cache.set(key, v);
    }
    return v;
  }
  return trimSlice(text, p, p + 4);
}

const COORD_COLS = ['31-38', '39-46', '47-54'];

export function parsePdb(text: string, source: string): Structure {
  if (!/\S/.test(text)) throw new InputError('file is empty', source, 1);
  assertText(text, source);
  // Capacity from the size (ATOM lines are 79-81 bytes; other records make this an overestimate).
  const asm = new ModelAssembler(source, Math.min(1 << 21, Math.max(1024, (text.length / 76) | 0)));
  const resUnwrap = new Unwrapper(10000);
  let title = '';
  let box: Box | null = null;
  let lineNo = 0;
  let pos = 0;
  const n = text.length;
  let prevSerial = 0;
  let serialOffset = 0;
  // Names, residue names and elements repeat: caching them by their raw characters avoids allocating a
  // string per atom (and keeps 1M-atom structures compact).
  const nameCache = new Map<number, string>();
  const resCache = new Map<number, string>();
  const elemCache = new Map<number, string>();

  while (pos < n) {
    let eol = text.indexOf('\n', pos);
    if (eol === -1) eol = n;
    let end = eol;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    lineNo++;
    const len = end - pos;
    const c0 = len > 0 ? text.charCodeAt(pos) : 0;
    // Dispatch on the record name without building substrings for the lines we ignore.
    let isAtom = false;
    let hetero = 0;
    if (c0 === 65 /* A */ && text.startsWith('ATOM', pos)) isAtom = true;
    else if (c0 === 72 /* H */ && text.startsWith('HETATM', pos)) {
      isAtom = true;
      hetero = 1;
    }
    if (isAtom) {
      if (len < 54) {
        throw new InputError(
          `truncated ${hetero ? 'HETATM' : 'ATOM'} record: the line has ${len} characters but the coordinates need columns 31-54`,
          source,
          lineNo,
        );
      }
      const name = cachedField(text, pos + 12, nameCache);
      const resName = cachedField(text, pos + 17, resCache);
      const altLoc = charAt(text, pos + 16);
      const chainId = charAt(text, pos + 21);
      const iCode = charAt(text, pos + 26);
      const rs = hy36decode(text, pos + 22, pos + 26);
      if (Number.isNaN(rs)) throw new InputError(`bad residue number "${text.slice(pos + 22, pos + 26)}" (columns 23-26)`, source, lineNo, 23);
      const resSeq = resUnwrap.next(rs, chainId);
      const x = parseFloatField(text, pos + 30, pos + 38);
      const y = parseFloatField(text, pos + 38, pos + 46);
      const z = parseFloatField(text, pos + 46, pos + 54);
      if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) {
        const k = !Number.isFinite(x) ? 0 : !Number.isFinite(y) ? 1 : 2;
        const f = text.slice(pos + 30 + 8 * k, pos + 38 + 8 * k);
        throw new InputError(`${'xyz'[k]} coordinate "${f.trim()}" (columns ${COORD_COLS[k]}) is not a finite number`, source, lineNo, 31 + 8 * k);
      }
      let occupancy = 1;
      let bFactor = 0;
      if (len > 54 && fieldPresent(text, pos + 54, Math.min(pos + 60, end))) {
        occupancy = parseFloatField(text, pos + 54, Math.min(pos + 60, end));
        if (!Number.isFinite(occupancy)) throw new InputError(`occupancy "${text.slice(pos + 54, Math.min(pos + 60, end)).trim()}" (columns 55-60) is not a number`, source, lineNo, 55);
      }
      if (len > 60 && fieldPresent(text, pos + 60, Math.min(pos + 66, end))) {
        bFactor = parseFloatField(text, pos + 60, Math.min(pos + 66, end));
        if (!Number.isFinite(bFactor)) throw new InputError(`B-factor "${text.slice(pos + 60, Math.min(pos + 66, end)).trim()}" (columns 61-66) is not a number`, source, lineNo, 61);
      }
      const segId = len > 72 ? trimSlice(text, pos + 72, Math.min(pos + 76, end)) : '';
      let element = '';
      if (len > 76) {
        const e1 = text.charCodeAt(pos + 76), e2 = len > 77 ? text.charCodeAt(pos + 77) : 32;
        const key = e1 * 128 + e2;
        element = elemCache.get(key) ?? '';
        if (!elemCache.has(key)) elemCache.set(key, (element = normalizeElement(text.slice(pos + 76, Math.min(pos + 78, end)))));
      }
      if (!element) element = guessElement(name, resName);
      // Serials: hybrid-36, or wrapped modulo 100000 (GROMACS), or "*****" (VMD): keep them increasing.
      let serial = hy36decode(text, pos + 6, pos + 11);
      if (Number.isNaN(serial)) serial = prevSerial + 1;
      else {
        serial += serialOffset;
        if (serial <= prevSerial && prevSerial - serial > 50000) {
          serialOffset += 100000;
          serial += 100000;
        }
      }
      prevSerial = serial;
      asm.addAtom(name, resName, chainId, resSeq, iCode, altLoc, x, y, z, occupancy, bFactor, hetero, element, segId, serial, lineNo);
    } else if (c0 === 84 /* T */ && text.startsWith('TER', pos)) {
      asm.breakResidue();
    } else if (c0 === 77 /* M */ && text.startsWith('MODEL', pos)) {
      asm.beginModel(lineNo);
      resUnwrap.reset();
      prevSerial = 0;
      serialOffset = 0;
    } else if (c0 === 69 /* E */ && text.startsWith('END', pos)) {
      // ENDMDL, or END (VMD/GROMACS frames concatenated with END only).
      if (asm.isOpen && asm.atomsInModel > 0) {
        asm.endModel(lineNo);
        resUnwrap.reset();
        prevSerial = 0;
        serialOffset = 0;
      }
    } else if (c0 === 67 /* C */ && text.startsWith('CRYST1', pos)) {
      box = parseCryst1(text.slice(pos, end), source, lineNo);
    } else if (c0 === 84 && text.startsWith('TITLE', pos)) {
      const t = text.slice(pos + 10, end).trim();
      title = title ? `${title} ${t}` : t;
    }
    pos = eol + 1;
  }
  if (asm.modelCount === 0 && asm.atomsInModel === 0) {
    throw new InputError(`no ATOM/HETATM records in ${lineNo} lines; is this a PDB file?`, source, 1);
  }
  return asm.finish(title, box, lineNo);
}

function parseCryst1(line: string, source: string, lineNo: number): Box | null {
  if (line.length < 54) throw new InputError(`truncated CRYST1 record (${line.length} characters, 54 needed)`, source, lineNo);
  const cols: [number, number][] = [[6, 15], [15, 24], [24, 33], [33, 40], [40, 47], [47, 54]];
  const v = cols.map(([s, e]) => parseFloatField(line, s, e));
  v.forEach((x, i) => {
    if (!Number.isFinite(x)) throw new InputError(`CRYST1 value "${line.slice(cols[i][0], cols[i][1]).trim()}" (columns ${cols[i][0] + 1}-${cols[i][1]}) is not a number`, source, lineNo, cols[i][0] + 1);
  });
  const [a, b, c, alpha, beta, gamma] = v;
  // NMR and model files carry a 1x1x1 placeholder (and some tools write zeros): no box.
  if ((a === 1 && b === 1 && c === 1) || a <= 0 || b <= 0 || c <= 0) return null;
  return { a, b, c, alpha, beta, gamma };
}

/** PDB atom-name alignment: 4-character names and two-letter elements start in column 13, others in 14. */
function pdbAtomName(name: string, element: string): string {
  if (name.length >= 4) return name.slice(0, 4);
  if (element.length === 2 && name.toUpperCase().startsWith(element)) return name.padEnd(4, ' ');
  return (' ' + name).padEnd(4, ' ');
}

export interface FormatPdbOptions {
  /** Coordinate sets to write as MODEL records (default: the structure's models). */
  models?: Float64Array[];
  /** Title written as a TITLE record (default: s.title). */
  title?: string;
  /** Number the models from this one and write only their MODEL…ENDMDL groups (no TITLE, CRYST1 or END): the
   *  frames of a multi-model file the caller streams one frame at a time and ends with END. */
  model?: number;
}

export function formatPdb(s: Structure, opts: FormatPdbOptions = {}): string {
  const w = new ByteWriter(Math.max(1 << 16, 82 * s.atoms.count * (opts.models ?? s.models).length + 4096));
  writePdb(w, s, opts);
  return w.toString();
}

/** PDB records into `w` (a writer with a sink streams them to a file). */
export function writePdb(w: ByteWriter, s: Structure, opts: FormatPdbOptions = {}): void {
  const a = s.atoms;
  const n = a.count;
  const models = opts.models ?? s.models;
  const frames = opts.model !== undefined;
  const title = frames ? '' : (opts.title ?? s.title);
  if (title) w.str(`TITLE     ${title.replace(/[\r\n]+/g, ' ').slice(0, 70)}\n`);
  if (s.box && !frames) {
    const b = s.box;
    w.str(`CRYST1${fmtFixed(b.a, 3, 9)}${fmtFixed(b.b, 3, 9)}${fmtFixed(b.c, 3, 9)}${fmtFixed(b.alpha, 2, 7)}${fmtFixed(b.beta, 2, 7)}${fmtFixed(b.gamma, 2, 7)} P 1           1\n`);
  }
  // Per-atom constant parts: cached by content (names, residues, elements repeat a lot).
  const nameCache = new Map<string, string>();
  const elements: string[] = new Array(n);
  const names: string[] = new Array(n);
  const serials = new Int32Array(n);
  const terAfter = new Uint8Array(n);
  let serial = 0;
  for (let i = 0; i < n; i++) {
    // No guess when writing: an empty element is a CG bead (BB, SC1…), which martinize2 also writes blank;
    // guessing here turned SC1 into sulfur. Readers guess for atoms that lack the column.
    const el = a.element[i];
    elements[i] = el.length > 2 ? el.slice(0, 2) : el;
    // The aligned name depends on the element only for two-letter elements: cache by name otherwise.
    let nm: string | undefined;
    if (el.length === 2) nm = pdbAtomName(a.name[i], el);
    else {
      nm = nameCache.get(a.name[i]);
      if (nm === undefined) nameCache.set(a.name[i], (nm = pdbAtomName(a.name[i], el)));
    }
    names[i] = nm;
    serials[i] = ++serial;
    const resSeq = a.resSeq[i];
    if (resSeq < -999 || resSeq > 2436111) throw new InputError(`residue number ${resSeq} cannot be written to PDB (hybrid-36 range is -999..2436111)`, s.source);
    if (i === n - 1 || a.chainId[i + 1] !== a.chainId[i]) {
      terAfter[i] = 1;
      serial++;
    }
  }
  if (serial > 87440031) throw new InputError('too many atoms for a PDB file (hybrid-36 serial limit 87,440,031)', s.source);
  const multi = models.length > 1 || frames;
  const first = opts.model ?? 1;
  for (let m = 0; m < models.length; m++) {
    const xyz = models[m];
    if (xyz.length !== 3 * n) throw new Error(`formatPdb: model ${m + 1} has ${xyz.length / 3} atoms, expected ${n}`);
    if (multi) w.str(`MODEL     ${String(first + m).padStart(4, ' ')}\n`);
    for (let i = 0; i < n; i++) {
      const x = xyz[3 * i], y = xyz[3 * i + 1], z = xyz[3 * i + 2];
      if (!(x > -999.9995 && x < 9999.9995 && y > -999.9995 && y < 9999.9995 && z > -999.9995 && z < 9999.9995)) {
        throw new InputError(`atom ${i + 1} (${a.name[i]} ${a.resName[i]} ${a.chainId[i]}${a.resSeq[i]}) has coordinates (${x}, ${y}, ${z}) that do not fit PDB columns (-999.999..9999.999 Å); write mmCIF instead`, s.source);
      }
      w.ensure(128);
      w.str(a.hetero[i] ? 'HETATM' : 'ATOM  ');
      writeHy36(w, serials[i], 5);
      w.byte(32);
      w.str(names[i]);
      writeChar(w, a.altLoc[i]);
      w.padRight(a.resName[i], 4);
      writeChar(w, a.chainId[i]);
      writeHy36(w, a.resSeq[i], 4);
      writeChar(w, a.iCode[i]);
      w.spaces(3);
      w.fixed(x, 3, 8);
      w.fixed(y, 3, 8);
      w.fixed(z, 3, 8);
      w.fixed(a.occupancy[i], 2, 6);
      w.fixed(a.bFactor[i], 2, 6);
      w.spaces(6);
      w.padRight(a.segId[i], 4);
      w.padLeft(elements[i], 2);
      w.byte(10);
      if (terAfter[i]) {
        w.str('TER   ');
        writeHy36(w, serials[i] + 1, 5);
        w.spaces(6);
        w.padRight(a.resName[i], 4);
        writeChar(w, a.chainId[i]);
        writeHy36(w, a.resSeq[i], 4);
        writeChar(w, a.iCode[i]);
        w.byte(10);
      }
    }
    if (multi) w.str('ENDMDL\n');
  }
  if (!frames) w.str('END\n');
}

function writeChar(w: ByteWriter, c: string): void {
  w.byte(c.length > 0 ? c.charCodeAt(0) : 32);
}

const HY_POW10 = [1, 10, 100, 1000, 10000, 100000];
const HY_OFF = [0, 10, 360, 12960, 466560, 16796160]; // 10 * 36^(w-1)
const HY_SPAN = [0, 26, 936, 33696, 1213056, 43670016]; // 26 * 36^(w-1)

/** Hybrid-36 straight into the buffer (the string encoder is the slow path for 900k atoms). */
function writeHy36(w: ByteWriter, v: number, width: number): void {
  const p10 = HY_POW10[width];
  if (v < p10 && v > -HY_POW10[width - 1]) {
    w.int(v, width);
    return;
  }
  const x = v - p10;
  if (x >= 0 && x < HY_SPAN[width]) w.base36(x + HY_OFF[width], width, false);
  else if (x >= HY_SPAN[width] && x < 2 * HY_SPAN[width]) w.base36(x - HY_SPAN[width] + HY_OFF[width], width, true);
  else w.str(hy36encode(width, v)); // throws the range error
}
