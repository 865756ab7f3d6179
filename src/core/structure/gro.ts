/**
 * GROMACS GRO reader and writer (nm in the file, Å in memory). Fixed columns: %5d%-5s%5s%5d then three
 * coordinates whose width is found from the distance between decimal points (editconf -ndec changes it),
 * optional velocities (ignored), then the box line. Several frames in one file become models.
 */
import { InputError } from '../errors';
import type { Box, Structure } from './types';
import { ModelAssembler, Unwrapper } from '../io/assembler';
import { assertText, fmtFixed, parseFloatField, parseIntField } from '../io/text';
import { boxFromVectors, boxToVectors, isRectangular } from '../io/box';
import { guessElement } from './elements';
import { ByteWriter } from '../io/bytes';

export function parseGro(text: string, source: string): Structure {
  if (!/\S/.test(text)) throw new InputError('file is empty', source, 1);
  assertText(text, source);
  // Line offsets first: GRO is driven by the atom count, so random access to lines is simplest.
  const starts: number[] = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  if (starts[starts.length - 1] === text.length) starts.pop();
  const nLines = starts.length;
  const lineAt = (k: number): string => {
    const s = starts[k];
    let e = k + 1 < nLines ? starts[k + 1] - 1 : text.length;
    if (e > s && text.charCodeAt(e - 1) === 13) e--;
    return text.slice(s, e);
  };

  let asm: ModelAssembler | null = null;
  let title = '';
  let box: Box | null = null;
  let k = 0; // 0-based line index
  let frame = 0;
  let natoms0 = -1;
  while (k < nLines) {
    // Trailing blank lines after the last frame are fine.
    if (frame > 0 && lineAt(k).trim() === '' && restBlank(lineAt, k, nLines)) break;
    const frameTitle = lineAt(k);
    if (frame === 0) title = frameTitle.trim();
    if (k + 1 >= nLines) throw new InputError(`GRO frame ${frame + 1}: the file ends after the title line; the atom count line is missing`, source, k + 1);
    const countLine = lineAt(k + 1);
    const natoms = parseIntField(countLine, 0, countLine.length);
    if (!Number.isInteger(natoms) || natoms < 0) throw new InputError(`GRO atom count "${countLine.trim()}" is not a non-negative integer`, source, k + 2);
    if (natoms === 0) throw new InputError('GRO file declares 0 atoms', source, k + 2);
    if (frame === 0) natoms0 = natoms;
    else if (natoms !== natoms0) throw new InputError(`GRO frame ${frame + 1} declares ${natoms} atoms but frame 1 has ${natoms0}; every frame must have the same atoms`, source, k + 2);
    if (!asm) asm = new ModelAssembler(source, natoms);
    asm.beginModel(k + 1);
    const first = k + 2;
    const avail = nLines - first;
    if (avail < natoms) {
      // Check the lines that are there first so a short box-like line gets a precise message.
      if (avail > 0) readAtoms(asm, lineAt, first, avail, natoms, source, k + 2);
      throw new InputError(`GRO file ends after ${Math.max(0, avail)} of the ${natoms} atom lines declared on line ${k + 2}, and without a box line`, source, nLines);
    }
    readAtoms(asm, lineAt, first, natoms, natoms, source, k + 2);
    const boxNo = first + natoms;
    if (boxNo >= nLines) throw new InputError(`GRO frame ${frame + 1}: the box line is missing after ${natoms} atoms`, source, nLines + 1);
    const fb = parseBoxLine(lineAt(boxNo), source, boxNo + 1);
    if (frame === 0) box = fb;
    asm.endModel(boxNo + 1);
    k = boxNo + 1;
    frame++;
  }
  if (!asm) throw new InputError('no atoms found', source, 1);
  return asm.finish(title, box, nLines);
}

function restBlank(lineAt: (k: number) => string, k: number, n: number): boolean {
  for (let i = k; i < n; i++) if (lineAt(i).trim() !== '') return false;
  return true;
}

function readAtoms(asm: ModelAssembler, lineAt: (k: number) => string, first: number, count: number, declared: number, source: string, countLineNo: number): void {
  const resUnwrap = new Unwrapper(100000);
  // Coordinate field width from the first atom line: distance between the first two decimal points.
  let w = 8;
  {
    const l = lineAt(first);
    const p = l.indexOf('.', 20);
    const q = p >= 0 ? l.indexOf('.', p + 1) : -1;
    if (p >= 0 && q > p && q - p >= 5 && q - p <= 20) w = q - p;
  }
  const need = 20 + 3 * w;
  let lastResRaw = '';
  let lastRes = '';
  for (let i = 0; i < count; i++) {
    const lineNo = first + i + 1;
    const line = lineAt(first + i);
    if (i > 0 && BOX_LINE.test(line)) {
      throw new InputError(
        `GRO atom line ${i + 1} of ${declared} looks like the box line: the file has fewer atom lines (${i}) than the count on line ${countLineNo}`,
        source,
        lineNo,
      );
    }
    if (line.length < need) {
      throw new InputError(
        `GRO atom line ${i + 1} of ${declared} is too short (${line.length} characters, ${need} needed for the coordinates); truncated line, or fewer atom lines than the count on line ${countLineNo}?`,
        source,
        lineNo,
      );
    }
    const rr = parseIntField(line, 0, 5);
    if (Number.isNaN(rr)) throw new InputError(`bad residue number "${line.slice(0, 5).trim()}" (columns 1-5)`, source, lineNo, 1);
    if (!line.startsWith(lastResRaw, 5) || lastResRaw === '') {
      lastResRaw = line.slice(5, 10);
      lastRes = lastResRaw.trim();
    }
    const resName = lastRes;
    const name = line.slice(10, 15).trim();
    if (!name) throw new InputError('missing atom name (columns 11-15)', source, lineNo, 11);
    const x = parseFloatField(line, 20, 20 + w, 1);
    const y = parseFloatField(line, 20 + w, 20 + 2 * w, 1);
    const z = parseFloatField(line, 20 + 2 * w, 20 + 3 * w, 1);
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) {
      const c = !Number.isFinite(x) ? 0 : !Number.isFinite(y) ? 1 : 2;
      throw new InputError(
        `${'xyz'[c]} coordinate "${line.slice(20 + c * w, 20 + (c + 1) * w).trim()}" (columns ${21 + c * w}-${20 + (c + 1) * w}) is not a finite number`,
        source,
        lineNo,
        21 + c * w,
      );
    }
    const resSeq = resUnwrap.next(rr, '');
    // Atom numbers wrap at 100000 in GRO and are meaningless beyond that: use the position.
    asm.addAtom(name, resName, '', resSeq, '', '', x, y, z, 1, 0, 0, guessElement(name, resName), '', i + 1, lineNo);
  }
}

const BOX_LINE = /^\s*(?:-?\d+\.\d+\s+){2}-?\d+\.\d+(?:\s+-?\d+\.\d+){0,6}\s*$/;

function parseBoxLine(line: string, source: string, lineNo: number): Box | null {
  const parts = line.trim().split(/\s+/);
  if (parts.length !== 3 && parts.length !== 9) {
    throw new InputError(`GRO box line must have 3 or 9 numbers, found ${parts[0] === '' ? 0 : parts.length} ("${line.trim().slice(0, 40)}"); truncated file or more atom lines than declared?`, source, lineNo);
  }
  const v = parts.map(Number);
  v.forEach((x, i) => {
    if (!Number.isFinite(x)) throw new InputError(`GRO box value "${parts[i]}" is not a number`, source, lineNo);
  });
  // v1(x) v2(y) v3(z) v1(y) v1(z) v2(x) v2(z) v3(x) v3(y)
  const m = parts.length === 3 ? [v[0], 0, 0, 0, v[1], 0, 0, 0, v[2]] : [v[0], v[3], v[4], v[5], v[1], v[6], v[7], v[8], v[2]];
  return boxFromVectors(m, 10);
}

function formatBox(box: Box): string {
  const m = boxToVectors(box, 0.1);
  const f = (x: number) => fmtFixed(x, 5, 10);
  if (isRectangular(box)) return `${f(m[0])}${f(m[4])}${f(m[8])}\n`;
  return `${f(m[0])}${f(m[4])}${f(m[8])}${f(m[1])}${f(m[2])}${f(m[3])}${f(m[5])}${f(m[6])}${f(m[7])}\n`;
}

/** Box enclosing the atoms (extent + 1 nm), for files that must have one. Coordinates are not moved. */
function enclosingBox(models: Float64Array[]): Box {
  let mx = 0, my = 0, mz = 0;
  for (const xyz of models) {
    for (let i = 0; i < xyz.length; i += 3) {
      if (xyz[i] > mx) mx = xyz[i];
      if (xyz[i + 1] > my) my = xyz[i + 1];
      if (xyz[i + 2] > mz) mz = xyz[i + 2];
    }
  }
  let lo = [Infinity, Infinity, Infinity];
  for (const xyz of models) for (let i = 0; i < xyz.length; i += 3) for (let d = 0; d < 3; d++) if (xyz[i + d] < lo[d]) lo[d] = xyz[i + d];
  lo = lo.map((v) => Math.min(0, v));
  return { a: mx - lo[0] + 10, b: my - lo[1] + 10, c: mz - lo[2] + 10, alpha: 90, beta: 90, gamma: 90 };
}

export interface FormatGroOptions {
  models?: Float64Array[];
  title?: string;
}

export function formatGro(s: Structure, opts: FormatGroOptions = {}): string {
  const w = new ByteWriter(Math.max(1 << 16, 45 * s.atoms.count * (opts.models ?? s.models).length + 1024));
  writeGro(w, s, opts);
  return w.toString();
}

/** GRO frames into `w` (a writer with a sink streams them to a file). */
export function writeGro(w: ByteWriter, s: Structure, opts: FormatGroOptions = {}): void {
  const a = s.atoms;
  const n = a.count;
  const models = opts.models ?? s.models;
  const box = s.box ?? enclosingBox(models);
  const boxLine = formatBox(box);
  const title = (opts.title ?? s.title) || 'Generated by Backmap Studio';
  for (let m = 0; m < models.length; m++) {
    const xyz = models[m];
    if (xyz.length !== 3 * n) throw new Error(`formatGro: model ${m + 1} has ${xyz.length / 3} atoms, expected ${n}`);
    w.str(`${title.replace(/[\r\n]+/g, ' ')}${models.length > 1 ? ` (model ${m + 1})` : ''}\n${String(n).padStart(5, ' ')}\n`);
    for (let i = 0; i < n; i++) {
      const x = xyz[3 * i] / 10, y = xyz[3 * i + 1] / 10, z = xyz[3 * i + 2] / 10;
      if (!(Math.abs(x) < 9999.9995 && Math.abs(y) < 9999.9995 && Math.abs(z) < 9999.9995)) throw new InputError(`atom ${i + 1} coordinate does not fit the GRO format`, s.source);
      // Residue and atom numbers wrap at 100000 as GROMACS writes them.
      w.int(((a.resSeq[i] % 100000) + 100000) % 100000, 5);
      w.padRight(a.resName[i], 5);
      w.padLeft(a.name[i], 5);
      w.int((i + 1) % 100000, 5);
      w.fixed(x, 3, 8);
      w.fixed(y, 3, 8);
      w.fixed(z, 3, 8);
      w.byte(10);
    }
    w.str(boxLine);
  }
}
