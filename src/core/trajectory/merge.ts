/**
 * `backmap merge`: the outputs of one run's shards (`--frames` ranges) put together into one file in frame order.
 * Multi-model PDB shards are ordered by MODEL number (input frame index + 1) and their MODEL…ENDMDL blocks copied as
 * they are; binary shards (XTC/TRR/DCD, each with its `<shard>.topology.pdb`) are ordered by step, then time. XTC and
 * TRR frames are self-contained, so into an output of the same format they are copied byte for byte (no second
 * rounding of XTC's lossy coordinates); DCD, and a merge across formats, decode and write each frame again. The
 * merge of a run's shards thus equals the whole run (byte for byte for PDB, XTC and TRR).
 * Refused, naming the files: shards of different atoms (count, names, residues), a frame in two shards, shards whose
 * frames cannot be put in one order (a PDB with a binary trajectory) or converted (PDB ⇄ binary). A gap between
 * shards is a warning naming the frames missing. The output is written beside and renamed (never half-written),
 * never over an input, over an existing file only with `force`.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, realpathSync, unlinkSync } from 'node:fs';
import { InputError, UsageError, type InputWarning } from '../errors';
import { fileFormatOf } from '../io/formats';
import { OutputFile } from '../io/output-file';
import { assertWritable, writeFileAtomic } from '../structure/write';
import { framesFormatOf, topologyPathOf, type FramesFormat } from '../pipeline/trajectory';
import { FileCursor } from './file';
import { createTrajectoryWriter, openTrajectory } from './index';
import type { TrajectoryFormat, TrajectoryReader } from './types';

export type ShardKind = 'pdb' | TrajectoryFormat;

export interface MergeOptions {
  /** Shard outputs: multi-model PDBs, or XTC/TRR/DCD files each with its `<shard>.topology.pdb`. */
  shards: string[];
  /** Merged output (.pdb for PDB shards; .xtc, .trr or .dcd for binary shards, plus `<out>.topology.pdb`). */
  out: string;
  force?: boolean;
  /** Gaps between shards (the merge is still written). */
  warn?: (w: InputWarning) => void;
}

export interface MergeResult {
  out: string;
  topologyOut?: string;
  format: FramesFormat;
  /** Frames written. */
  frames: number;
  shards: number;
  /** Frames copied byte for byte (PDB; XTC or TRR into the same format), else decoded and written again. */
  copied: boolean;
  /** Warnings given (gaps), also passed to `warn`. */
  warnings: InputWarning[];
}

/** One frame of a shard: where it sits in the file and its place in the merged order. */
interface ShardFrame {
  shard: number;
  /** PDB: the MODEL number; binary: the step. */
  key: number;
  /** Binary: time in ps (the second sort key); PDB: 0. */
  time: number;
  /** Byte range in the shard (PDB: MODEL to ENDMDL; XTC/TRR: the frame), for the copy. */
  start: number;
  end: number;
  /** The range ends without a newline (a PDB whose last line is ENDMDL with no line break). */
  noEol: boolean;
  /** PDB: line of the MODEL record; binary: 0-based frame index in the file. */
  at: number;
}

interface Shard {
  path: string;
  kind: ShardKind;
  /** Binary shards: `<shard>.topology.pdb`. */
  topology?: string;
  natoms: number;
  frames: ShardFrame[];
}

/** The kind of a shard from its name: .pdb or a binary trajectory (what backmap writes); anything else is refused. */
export function shardKindOf(path: string): ShardKind {
  const f = fileFormatOf(path);
  if (f && !f.gzip && f.kind === 'trajectory') return f.format as TrajectoryFormat;
  if (f && !f.gzip && f.format === 'pdb') return 'pdb';
  throw new InputError('not a shard output: expected a multi-model .pdb, or an .xtc, .trr or .dcd with its .topology.pdb', path);
}

/**
 * Merges the shards into `opts.out` (see the file comment). Every check runs before anything is written: the
 * output is the last thing to appear.
 */
export function mergeShards(opts: MergeOptions): MergeResult {
  if (!opts.shards.length) throw new UsageError('merge needs the shard files to merge');
  const format = framesFormatOf(opts.out);
  const kinds = opts.shards.map(shardKindOf);
  for (const p of opts.shards) if (!existsSync(p)) throw new InputError('file not found', p);
  refuseRepeats(opts.shards);
  const pdbAt = kinds.indexOf('pdb');
  const binAt = kinds.findIndex((k) => k !== 'pdb');
  if (pdbAt >= 0 && binAt >= 0)
    throw new InputError(
      `cannot merge the multi-model PDB ${opts.shards[pdbAt]} (frames numbered by MODEL) with the ${kinds[binAt].toUpperCase()} ` +
        `trajectory ${opts.shards[binAt]} (frames by step and time): their frames cannot be put in one order; backmap every shard to the same kind of output`,
      opts.shards[binAt],
    );
  const binary = binAt >= 0;
  if (binary && format === 'pdb')
    throw new InputError(
      `the shards are ${[...new Set(kinds)].join('/').toUpperCase()} trajectories, which do not record the input frame index a merged PDB numbers its MODELs by: merge them into a .xtc, .trr or .dcd`,
      opts.out,
    );
  if (!binary && format !== 'pdb')
    throw new InputError(`the shards are multi-model PDBs, which carry no time or step for a ${format.toUpperCase()} file: merge them into a .pdb`, opts.out);
  const topologies = binary ? opts.shards.map(topologyPathOf) : [];
  const protect = [...opts.shards, ...topologies];
  assertWritable(opts.out, { force: opts.force, protect });
  const topologyOut = binary ? topologyPathOf(opts.out) : undefined;
  if (topologyOut) assertWritable(topologyOut, { force: opts.force, protect: [...protect, opts.out] });

  const atoms = new AtomCheck();
  const shards: Shard[] = opts.shards.map((path, i) => (kinds[i] === 'pdb' ? scanPdb(path, i, atoms) : scanBinary(path, i, kinds[i] as TrajectoryFormat, atoms)));
  for (const s of shards) checkOrder(s);
  const order = mergedOrder(shards);
  const warnings = findGaps(shards, order);
  for (const w of warnings) opts.warn?.(w);

  const copied = format === 'pdb' || ((format === 'xtc' || format === 'trr') && kinds.every((k) => k === format));
  if (format === 'pdb') writeCopied(opts.out, shards, order, Buffer.from('END\n'));
  else {
    if (copied) writeCopied(opts.out, shards, order);
    else writeDecoded(opts.out, format, shards, order, opts.force, protect);
    // The topology last (as a run writes it: the atoms at the first frame), so a merge never leaves one without
    // the other: a topology that cannot be written takes the trajectory back out.
    try {
      writeFileAtomic(topologyOut!, readFileSync(shards[order[0].shard].topology!));
    } catch (e) {
      try {
        unlinkSync(opts.out);
      } catch {
        /* the first error is the one reported */
      }
      throw e;
    }
  }
  return { out: opts.out, topologyOut, format, frames: order.length, shards: shards.length, copied, warnings };
}

/** The same file given twice (by any spelling) would be every frame twice: say so plainly. */
function refuseRepeats(paths: string[]): void {
  const seen = new Map<string, string>();
  for (const p of paths) {
    const real = realpathSync(p);
    const before = seen.get(real);
    if (before !== undefined) throw new InputError(`given twice (also as ${before}): every frame of it would be in the merge twice`, p);
    seen.set(real, p);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Atoms: every PDB model, and every binary shard's topology, must list the same atoms (names, residues, chains;
// coordinates, occupancy and B-factors may differ). Compared line by line with the first one read.

interface AtomList {
  /** What the list is, for messages ("MODEL 3", "topology"). */
  what: string;
  file: string;
  /** ATOM/HETATM lines without coordinates, occupancy and B-factor; TER lines as they are. */
  sig: string[];
  lines: number[];
}

const isAtomRecord = (t: string) => t.startsWith('ATOM  ') || t.startsWith('HETATM');

function atomSignature(t: string): string | null {
  if (isAtomRecord(t)) return `${t.slice(0, 30)}|${t.slice(76, 78).trim()}`;
  if (t.startsWith('TER')) return t.trimEnd();
  return null;
}

const atomCount = (l: AtomList) => l.sig.filter(isAtomRecord).length;

class AtomCheck {
  private ref: AtomList | null = null;

  /** Refuses a list that differs from the first one seen, naming both files and the first differing line. */
  check(cur: AtomList): void {
    const ref = this.ref;
    if (!ref) {
      if (!atomCount(cur)) throw new InputError(`${cur.what} holds no ATOM or HETATM record`, cur.file, cur.lines[0]);
      this.ref = cur;
      return;
    }
    const nRef = atomCount(ref);
    const nCur = atomCount(cur);
    if (nRef !== nCur)
      throw new InputError(
        `${cur.what} has ${nCur} atoms but ${ref.what} of ${ref.file} has ${nRef}: the shards hold different atoms (different topologies)`,
        cur.file,
        cur.lines[0],
      );
    for (let i = 0; i < Math.max(ref.sig.length, cur.sig.length); i++) {
      if (ref.sig[i] === cur.sig[i]) continue;
      const show = (l: AtomList) => (i < l.sig.length ? `'${l.sig[i].replace('|', ' ').trim()}'` : 'nothing');
      throw new InputError(
        `${cur.what}: ${show(cur)} where ${ref.file}:${ref.lines[Math.min(i, ref.lines.length - 1)]} (${ref.what}) has ${show(ref)}: ` +
          'the shards hold different atoms (different topologies)',
        cur.file,
        cur.lines[Math.min(i, cur.lines.length - 1)],
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading shards.

interface Line {
  text: string;
  start: number;
  /** Offset after the line break (or the end of the file). */
  end: number;
  eol: boolean;
  line: number;
}

/** The lines of a text file with their byte ranges, read in blocks (a multi-model PDB can be many GB). */
function* readLines(path: string): Generator<Line> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'file not found' : `cannot open: ${(e as Error).message}`, path);
  }
  const block = Buffer.alloc(1 << 20);
  let carry: Buffer = Buffer.alloc(0);
  let pos = 0;
  let line = 0;
  try {
    for (;;) {
      const n = readSync(fd, block, 0, block.length, pos);
      if (n <= 0) break;
      const chunk = carry.length ? Buffer.concat([carry, block.subarray(0, n)]) : block.subarray(0, n);
      const base = pos - carry.length;
      pos += n;
      let s = 0;
      for (let i = chunk.indexOf(10, s); i >= 0; i = chunk.indexOf(10, s)) {
        const e = i > s && chunk[i - 1] === 13 ? i - 1 : i;
        yield { text: chunk.toString('latin1', s, e), start: base + s, end: base + i + 1, eol: true, line: ++line };
        s = i + 1;
      }
      // A copy: the block is read into again.
      carry = Buffer.from(chunk.subarray(s));
    }
    if (carry.length) yield { text: carry.toString('latin1').replace(/\r$/, ''), start: pos - carry.length, end: pos, eol: false, line: ++line };
  } finally {
    closeSync(fd);
  }
}

/** A multi-model PDB shard: its MODEL…ENDMDL blocks (each checked to hold the same atoms). */
function scanPdb(path: string, shard: number, atoms: AtomCheck): Shard {
  const frames: ShardFrame[] = [];
  let natoms = 0;
  let cur: { key: number; start: number; line: number; sig: string[]; lines: number[] } | null = null;
  for (const l of readLines(path)) {
    const t = l.text;
    if (t.startsWith('MODEL')) {
      if (cur) throw new InputError(`MODEL ${cur.key} (line ${cur.line}) has no ENDMDL before the next MODEL: not a complete backmap output`, path, l.line);
      const key = /^MODEL\s+(\d+)$/.exec(t.trimEnd());
      if (!key || !(Number(key[1]) >= 1)) throw new InputError(`MODEL record without a frame number ('${t.trim()}')`, path, l.line);
      cur = { key: Number(key[1]), start: l.start, line: l.line, sig: [], lines: [] };
    } else if (t.startsWith('ENDMDL')) {
      if (!cur) throw new InputError('ENDMDL without a MODEL before it', path, l.line);
      atoms.check({ what: `MODEL ${cur.key}`, file: path, sig: cur.sig, lines: cur.lines });
      if (!frames.length) natoms = cur.sig.filter(isAtomRecord).length;
      frames.push({ shard, key: cur.key, time: 0, start: cur.start, end: l.end, noEol: !l.eol, at: cur.line });
      cur = null;
    } else {
      const sig = atomSignature(t);
      if (sig === null) continue;
      if (!cur) throw new InputError('atom record outside MODEL…ENDMDL: a shard is the multi-model PDB of a backmap run with --frames', path, l.line);
      cur.sig.push(sig);
      cur.lines.push(l.line);
    }
  }
  if (cur) throw new InputError(`MODEL ${cur.key} has no ENDMDL: the file ends inside it (not a complete backmap output)`, path, cur.line);
  if (!frames.length) throw new InputError('no MODEL records: not the multi-model PDB of a trajectory run (backmap writes MODEL n for input frame n-1)', path);
  return { path, kind: 'pdb', natoms, frames };
}

/** The reader's file cursor: the byte range of each XTC/TRR frame, for a byte-for-byte copy. */
function cursorOf(r: TrajectoryReader): FileCursor {
  const f = (r as unknown as { f?: unknown }).f;
  if (!(f instanceof FileCursor)) throw new Error(`trajectory reader for ${r.format} has no file cursor`);
  return f;
}

/** A binary shard: every frame's step, time and byte range, and its topology (checked against the others). */
function scanBinary(path: string, shard: number, format: TrajectoryFormat, atoms: AtomCheck): Shard {
  const topology = topologyPathOf(path);
  if (!existsSync(topology))
    throw new InputError(
      `no topology ${topology} beside it (backmap writes <out>.topology.pdb with every XTC/TRR/DCD output): without it the shards cannot be checked to hold the same atoms`,
      path,
    );
  const list: AtomList = { what: 'topology', file: topology, sig: [], lines: [] };
  for (const l of readLines(topology)) {
    const sig = atomSignature(l.text);
    if (sig !== null) {
      list.sig.push(sig);
      list.lines.push(l.line);
    }
  }
  atoms.check(list);
  const frames: ShardFrame[] = [];
  const reader = openTrajectory(path, format);
  try {
    const n = atomCount(list);
    if (reader.natoms !== n) throw new InputError(`trajectory has ${reader.natoms} atoms but its topology ${topology} has ${n}: they do not belong together`, path);
    const cursor = format === 'dcd' ? null : cursorOf(reader);
    for (let at = 0; ; at++) {
      const start = cursor?.pos ?? 0;
      const f = reader.next();
      if (!f) break;
      frames.push({ shard, key: f.step, time: f.time, start, end: cursor?.pos ?? 0, noEol: false, at });
    }
  } finally {
    reader.close();
  }
  if (!frames.length) throw new InputError('trajectory holds no frame', path);
  return { path, kind: format, topology, natoms: reader.natoms, frames };
}

// ---------------------------------------------------------------------------------------------------------------
// Order, overlaps and gaps.

const compareFrames = (a: ShardFrame, b: ShardFrame) => a.key - b.key || a.time - b.time;

function describe(s: Shard, f: ShardFrame, sep = ' ('): string {
  if (s.kind === 'pdb') return `MODEL ${f.key}${sep}input frame ${f.key - 1}${sep === ' (' ? ')' : ''}`;
  return `step ${f.key}, time ${formatTime(f.time)} ps`;
}

const formatTime = (t: number) => String(Number(t.toPrecision(7)));

/** A shard lists its frames in input order: a merge then streams each shard once, front to back. */
function checkOrder(s: Shard): void {
  for (let i = 1; i < s.frames.length; i++) {
    const a = s.frames[i - 1];
    const b = s.frames[i];
    const c = compareFrames(a, b);
    if (c === 0)
      throw new InputError(`${describe(s, b)} is in this shard twice (${s.kind === 'pdb' ? `lines ${a.at} and ${b.at}` : `frames ${a.at} and ${b.at}`})`, s.path, s.kind === 'pdb' ? b.at : undefined);
    if (c > 0)
      throw new InputError(
        `frames out of order: ${describe(s, b)} comes after ${describe(s, a)}; a shard of backmap lists its frames in input order`,
        s.path,
        s.kind === 'pdb' ? b.at : undefined,
      );
  }
}

/** Every frame in merged order; a frame in two shards (overlapping `--frames` ranges) is refused naming both. */
function mergedOrder(shards: Shard[]): ShardFrame[] {
  const all = shards.flatMap((s) => s.frames);
  // Stable: ties stay in shard order, so the two copies of a repeated frame sit side by side.
  all.sort(compareFrames);
  const twice: [ShardFrame, ShardFrame][] = [];
  for (let i = 1; i < all.length; i++) if (compareFrames(all[i - 1], all[i]) === 0) twice.push([all[i - 1], all[i]]);
  if (twice.length) {
    const [a, b] = twice[0];
    const sa = shards[a.shard];
    const sb = shards[b.shard];
    const more = twice.length > 1 ? ` (and ${twice.length - 1} more frame${twice.length > 2 ? 's' : ''} in two shards)` : '';
    throw new InputError(`${describe(sb, b)} is also in ${sa.path}${more}: the shards overlap (each frame must come from one shard)`, sb.path, sb.kind === 'pdb' ? b.at : undefined);
  }
  return all;
}

/**
 * Frames missing between shards: the spacing of frames inside the shards (their median; between shards when every
 * shard holds one frame) against each step from one shard to the next in merged order.
 */
function findGaps(shards: Shard[], order: ShardFrame[]): InputWarning[] {
  const pdb = shards[0].kind === 'pdb';
  // Binary frames are placed by step; by time when the steps say nothing (all equal, e.g. 0 in every frame).
  const byTime = !pdb && order.every((f) => f.key === order[0].key);
  const pos = (f: ShardFrame) => (byTime ? f.time : f.key);
  const inside: number[] = [];
  for (const s of shards) for (let i = 1; i < s.frames.length; i++) inside.push(pos(s.frames[i]) - pos(s.frames[i - 1]));
  const across: number[] = [];
  for (let i = 1; i < order.length; i++) if (order[i].shard !== order[i - 1].shard) across.push(pos(order[i]) - pos(order[i - 1]));
  const spacing = inside.length ? median(inside) : Math.min(...across);
  if (!(spacing > 0)) return [];
  const warnings: InputWarning[] = [];
  for (let i = 1; i < order.length; i++) {
    const a = order[i - 1];
    const b = order[i];
    if (a.shard === b.shard) continue;
    const d = pos(b) - pos(a);
    if (d <= spacing * 1.5) continue;
    const missing = Math.max(1, Math.round(d / spacing) - 1);
    const sa = shards[a.shard];
    const sb = shards[b.shard];
    const between = `between ${sa.path} (${describe(sa, a, ', ')}) and ${sb.path} (${describe(sb, b, ', ')})`;
    let message: string;
    if (pdb) {
      // MODEL n is input frame n-1: the missing frames as the --frames range that would make them.
      const from = a.key - 1 + spacing;
      const range = `${from}:${b.key - 1}${spacing > 1 ? `:${spacing}` : ''}`;
      message = `${missing} frame${missing > 1 ? 's' : ''} missing ${between}: no shard holds input frames ${range} (backmap them with --frames ${range})`;
    } else {
      const unit = byTime ? ' ps' : '';
      const what = (byTime ? 'time' : 'step') + (missing > 1 ? 's' : '');
      const lo = byTime ? formatTime(pos(a) + spacing) : String(pos(a) + spacing);
      const hi = byTime ? formatTime(pos(b) - spacing) : String(pos(b) - spacing);
      message = `about ${missing} frame${missing > 1 ? 's' : ''} missing ${between}: ${what} ${lo}${missing > 1 ? ` to ${hi}` : ''}${unit}${spacing !== 1 ? ` (every ${byTime ? formatTime(spacing) : spacing}${unit})` : ''} ${missing > 1 ? 'are' : 'is'} in no shard`;
    }
    warnings.push({ message, file: sb.path });
  }
  return warnings;
}

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)];
}

// ---------------------------------------------------------------------------------------------------------------
// Writing.

/** Each frame's bytes from its shard, in merged order (PDB blocks, XTC or TRR frames), then `tail`. */
function writeCopied(out: string, shards: Shard[], order: ShardFrame[], tail?: Uint8Array): void {
  const file = new OutputFile(out);
  const fds: number[] = [];
  try {
    for (const s of shards) fds.push(openSync(s.path, 'r'));
    const buf = Buffer.alloc(1 << 22);
    for (const f of order) {
      for (let pos = f.start; pos < f.end; ) {
        const n = readSync(fds[f.shard], buf, 0, Math.min(buf.length, f.end - pos), pos);
        if (n <= 0) throw new InputError(`the file changed while it was merged (it ends before byte ${f.end})`, shards[f.shard].path);
        file.append(buf.subarray(0, n));
        pos += n;
      }
      if (f.noEol) file.append(Buffer.from('\n'));
    }
    if (tail) file.append(tail);
    file.commit();
  } catch (e) {
    file.discard();
    throw e;
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** Every frame decoded and written again (DCD output, or shards of another binary format than the output). */
function writeDecoded(out: string, format: TrajectoryFormat, shards: Shard[], order: ShardFrame[], force: boolean | undefined, protect: string[]): void {
  const writer = createTrajectoryWriter(out, shards[0].natoms, format, { force, protect });
  const readers: (TrajectoryReader | null)[] = shards.map(() => null);
  let ok = false;
  try {
    for (const f of order) {
      const s = shards[f.shard];
      const r = (readers[f.shard] ??= openTrajectory(s.path, s.kind as TrajectoryFormat));
      // Each shard is in order (checked), so its frames come up front to back.
      const frame = r.next();
      if (!frame || frame.step !== f.key) throw new InputError(`the file changed while it was merged (frame ${f.at} is not the one read before)`, s.path);
      writer.write({ index: writer.count, time: frame.time, step: frame.step, coords: frame.coords, box: frame.box });
    }
    writer.close();
    ok = true;
  } finally {
    for (const r of readers) r?.close();
    if (!ok) writer.abort();
  }
}
