/**
 * All-atom → CG ("Map all-atom structure to CG…", `backmap map`, the worker's mapToCg) with the same input checks
 * as backmapping: units and reader warnings, a CG file given as all-atom, the mapping-warning policy, and a
 * structure the mapping knows nothing of. `mapTrajectory` maps every selected frame of an all-atom trajectory (or
 * multi-model file) with the one plan the topology gives.
 */
import { CancelledError, InputError, type InputWarning } from '../errors';
import type { MappingSet } from '../mapping/types';
import type { Box, Structure } from '../structure/types';
import { applyMappingMatrix, mapToCg, summarizeForwardReport, type ForwardReport, type ForwardResult } from '../forward';
import type { CgSystem } from '../cg';
import { checkInputStructure, loadMappingChecked, refuseCg } from './plan';
import type { Hooks, InputPolicy, MoleculeClass, MoleculeCount } from './options';
import { StructureBuilder, residuesOf } from '../structure/builder';
import { readStructureFile } from '../structure/read';
import { countSystem, moleculeTable, selectAtoms, splitAllAtom, type AllAtomSplit } from './molecules';
import { makeWhole, moleculeRanges as moleculeRangesOf, rectangularBoxLengths, wrapIntoBox } from './pbc';
import { cgWaterFor, groupWaters } from './solvent';
import { checkFrameFinite, frameSource, selectFrames, selectInputFrames, type FrameRange } from '../trajectory/frames';
import { FrameOutput, frameProgress, framesFormatOf, protectedPaths, type FramesFormat } from './trajectory';
import { yieldToLoop } from './run';

export interface MapToCgOptions {
  /** Only this chain. */
  chain?: string;
  residueNameMap?: Record<string, string>;
  /** The mapping-warning policy for a mapping folder of the user's. */
  policy?: InputPolicy;
  warn?: (warning: InputWarning) => void;
  /** Units, reader warnings and the CG-file check (default on: off only for a structure checked already). */
  checkInputs?: boolean;
}

export interface MapToCgResult {
  cg: Structure;
  system: CgSystem;
  report: ForwardReport;
  /** One line per kind of problem the forward mapping met (unknown residues, missing atoms, …), with locations. */
  problems: string[];
  /** "complete", or the problems in a few words. */
  summary: string;
  mappingId: string;
  ms: number;
  /** Molecules per class, all-atom in → CG out (water: molecules; a W bead holds 4). */
  molecules: MoleculeCount[];
  /** Particles written (solute beads, water and ion beads). */
  beads: number;
}

const where = (file: string, line?: number) => (line ? `${file}:${line}` : file);

/** The forward report as lines a user reads: what was skipped or missing, with up to 8 locations each. */
export function describeForwardReport(r: ForwardReport): string[] {
  const out: string[] = [];
  const list = <T extends { file: string; line: number }>(items: T[], what: string, show: (x: T) => string) => {
    if (!items.length) return;
    const shown = items.slice(0, 8).map((x) => `${show(x)} (${where(x.file, x.line)})`);
    out.push(`${items.length} ${what}: ${shown.join('; ')}${items.length > 8 ? '; …' : ''}`);
  };
  const res = (x: { resName: string; chainId: string; resSeq: number; iCode: string }) => `${x.resName} ${x.chainId}${x.resSeq}${x.iCode}`;
  list(r.unknownResidues, 'residue(s) unknown to the mapping, skipped', res);
  list(r.droppedResidues, 'residue(s) left out (a bead had no atom)', (x) => `${res(x)} beads ${x.beads.join(',')}`);
  list(r.missingAtoms, 'atom(s) of the mapping missing from the input', (x) => `${res(x)} ${x.atom}`);
  list(r.unmappedAtoms, 'atom(s) not in the mapping, ignored', (x) => `${res(x)} ${x.atom}`);
  if (r.duplicateAtoms) out.push(`${r.duplicateAtoms} repeated atom(s) (alternate locations): the first was used`);
  return out;
}

/**
 * Maps an all-atom structure to CG with a mapping set (id, folder, or a set already loaded), refusing what would
 * give a wrong or empty result.
 */
export function mapStructureToCg(aa: Structure, mapping: string | MappingSet, opts: MapToCgOptions = {}): MapToCgResult {
  return mapWithPlan(aa, mapping, opts).result;
}

/** `mapStructureToCg`'s result and how it placed each particle, for mapping other frames of the same atoms. */
interface MappingPlan {
  result: MapToCgResult;
  /** Water and ions split off (null with `chain`: then nothing is put back in the box). */
  split: AllAtomSplit | null;
  /** The solute's bead positions from `mapToCg`'s weights, as input atom indices (null: no solute). */
  rows: ForwardResult['matrix'] | null;
  /** Solute beads, ions and water beads in output order (null: the solute's beads alone, in order). */
  layout: SolventLayout | null;
}

function mapWithPlan(aa: Structure, mapping: string | MappingSet, opts: MapToCgOptions): MappingPlan {
  const t = performance.now();
  const set = typeof mapping === 'string' ? loadMappingChecked(mapping, opts.policy, opts.warn) : mapping;
  if (opts.checkInputs ?? true) {
    checkInputStructure(aa, 'all-atom', opts.warn);
    refuseCg(aa, 'map expects an all-atom structure');
  }
  // Whole systems: water and ions by the solvent rules, the rest by the mapping set; molecules broken across the
  // periodic box are made whole first (a copy: the caller's structure is not changed).
  const split = opts.chain === undefined ? splitAllAtom(aa) : null;
  const solventAtoms = split ? split.waters.length + split.ions.length : 0;
  let whole = aa;
  let moved: Uint8Array | null = null;
  if (rectangularBoxLengths(aa.box)) {
    const coords = aa.coords.slice();
    const w = makeWhole(aa, coords);
    if (w.moved.some((x) => x)) {
      whole = { ...aa, coords, models: [coords] };
      moved = w.moved;
    }
  }
  const solute = split && solventAtoms ? selectAtoms(whole, split.solute) : whole;
  const noSolute = split !== null && solventAtoms > 0 && split.solute.length === 0;
  const result = noSolute ? null : mapToCg(solute, set, { chain: opts.chain, residueNameMap: opts.residueNameMap });
  if (!noSolute && !result!.system.beads.length)
    throw new InputError(
      `no residue${opts.chain !== undefined ? ` of chain '${opts.chain}'` : ''} is known to mapping set '${set.id}'`,
      aa.source,
      aa.atoms.sourceLine[0] || undefined,
    );
  const report: ForwardReport = result?.report ?? { missingAtoms: [], unmappedAtoms: [], unknownResidues: [], droppedResidues: [], duplicateAtoms: 0 };
  const system: CgSystem = result?.system ?? { set, beads: [], residues: [], coords: new Float64Array(0), box: aa.box };
  const molIn = new Map<MoleculeClass, number>();
  const molOut = new Map<MoleculeClass, number>(countSystem(system));
  for (const [c, n] of countSystem(system)) molIn.set(c, n);
  const unknownMolecules = report.unknownResidues.length + report.droppedResidues.length;
  if (unknownMolecules) molIn.set('unknown', unknownMolecules);
  let cg = result?.cg ?? null;
  let problems = describeForwardReport(report);
  let layout: SolventLayout | null = null;
  if (split && (solventAtoms || moved)) {
    layout = solventLayout(whole, split, result?.cg ?? null);
    cg = layoutStructure(layout, placeLayout(layout, whole.coords, rectangularBoxLengths(whole.box), result?.cg.coords ?? null), result?.cg ?? null, whole);
    // Molecules made whole go back in the box: per CG residue (proteins per chain run).
    const L = rectangularBoxLengths(whole.box);
    if (moved && L) putMovedBack(cg.coords, moleculeRangesOf(cg), L);
    if (split.waters.length) {
      molIn.set('water', split.waters.length);
      molOut.set('water', layout.waters);
    }
    if (split.ions.length) {
      molIn.set('ion', split.ions.length);
      molOut.set('ion', split.ions.length);
    }
    problems = [...problems, ...layout.problems];
  }
  return {
    result: {
      cg: cg!,
      system,
      report,
      problems,
      summary: summarizeForwardReport(report),
      mappingId: set.id,
      ms: performance.now() - t,
      molecules: moleculeTable(molIn, molOut, split?.waters.length ? { water: 'water molecules (4 per W bead, 3 per SW, 2 per TW)' } : {}),
      beads: cg!.atoms.count,
    },
    split,
    // The forward matrix over the input's atoms (it indexes the solute when water and ions were split off).
    rows: result ? (split && solventAtoms ? { ...result.matrix, atoms: result.matrix.atoms.map((i) => split.solute[i]) } : result.matrix) : null,
    layout,
  };
}


/** Puts the molecules (CG atom ranges) that stick out of the box back in it, whole, with their centre inside. */
function putMovedBack(coords: Float64Array, molecules: { start: number; end: number }[], L: [number, number, number]): void {
  for (const m of molecules) {
    let out = false;
    for (let k = 0; k < 3 && !out; k++) for (let i = m.start; i < m.end; i++) if (coords[3 * i + k] < 0 || coords[3 * i + k] >= L[k]) out = true;
    if (out) wrapIntoBox(coords, Int32Array.from({ length: m.end - m.start }, (_, k) => m.start + k), L);
  }
}

/** A CG particle's name and residue. */
interface ParticleName {
  name: string;
  resName: string;
  chainId: string;
  resSeq: number;
  iCode: string;
}

/**
 * The particles of a whole system in input order: the solute's beads (from `mapToCg`), one bead per ion (Martini
 * name) and one per group of waters (W, SW, TW), each placed where what it stands for is. Fixed by the structure it
 * was made from (the water grouping by its coordinates); `placeLayout` places the particles for any frame.
 */
interface SolventLayout {
  atoms: ParticleName[];
  /** Per particle: 0 a solute bead (`ref`: its bead), 1 an ion (`ref`: its input atom), 2 a water bead (`ref`: its group). */
  kind: Uint8Array;
  ref: Int32Array;
  /** Water groups: the reference oxygen (input atom) and every oxygen of the group, in grouping order. */
  groups: { o0: number; oxygens: Int32Array }[];
  /** Water molecules in water beads. */
  waters: number;
  problems: string[];
}

function solventLayout(aa: Structure, split: AllAtomSplit, soluteCg: Structure | null): SolventLayout {
  const a = aa.atoms;
  const X = aa.coords;
  const problems: string[] = [];
  // Units keyed by their first input atom: solute residues (in the order mapToCg wrote them), ions, water groups.
  interface Unit {
    key: number;
    atoms: ParticleName[];
    kind: number;
    /** Bead of the first particle (solute), the ion's atom, or the water group. */
    ref: number;
  }
  const units: Unit[] = [];
  if (soluteCg) {
    // mapToCg kept the solute's residue order: walk its beads and the solute atoms' residues together.
    const solRes = residuesOf(a).filter((r) => split.solute.length && r.start >= 0);
    const inSolute = new Uint8Array(a.count);
    for (const i of split.solute) inSolute[i] = 1;
    const candidates = solRes.filter((r) => inSolute[r.start]);
    const c = soluteCg.atoms;
    let ri = 0;
    for (const r of residuesOf(c)) {
      while (
        ri < candidates.length &&
        !(candidates[ri].chainId === r.chainId && candidates[ri].resSeq === r.resSeq && candidates[ri].iCode === r.iCode && candidates[ri].resName === r.resName)
      )
        ri++;
      const key = ri < candidates.length ? candidates[ri].start : Infinity;
      const atoms: ParticleName[] = [];
      for (let i = r.start; i < r.end; i++) atoms.push({ name: c.name[i], resName: c.resName[i], chainId: c.chainId[i], resSeq: c.resSeq[i], iCode: c.iCode[i] });
      units.push({ key, atoms, kind: 0, ref: r.start });
      ri++;
    }
  }
  for (const { index: i, ion } of split.ions)
    units.push({ key: i, atoms: [{ name: ion.cg, resName: ion.cg, chainId: a.chainId[i], resSeq: a.resSeq[i], iCode: a.iCode[i] }], kind: 1, ref: i });
  const oxygens = new Float64Array(3 * split.waters.length);
  split.waters.forEach((w, k) => oxygens.set(X.subarray(3 * w.oxygen, 3 * w.oxygen + 3), 3 * k));
  const { groups, left } = groupWaters(oxygens, aa.box);
  const placed: SolventLayout['groups'] = [];
  let waters = 0;
  for (const g of groups) {
    const first = split.waters[Math.min(...g)];
    const w = cgWaterFor(g.length);
    waters += g.length;
    units.push({ key: first.start, atoms: [{ name: w.name, resName: w.name, chainId: a.chainId[first.start], resSeq: a.resSeq[first.start], iCode: '' }], kind: 2, ref: placed.length });
    placed.push({ o0: first.oxygen, oxygens: Int32Array.from(g, (k) => split.waters[k].oxygen) });
  }
  if (left.length) {
    const w = split.waters[left[0]];
    problems.push(`${left.length} water molecule(s) left out: a lone water is no Martini particle (${aa.source}:${a.sourceLine[w.start]})`);
  }
  units.sort((p, q) => p.key - q.key);
  const n = units.reduce((s, u) => s + u.atoms.length, 0);
  const layout: SolventLayout = { atoms: [], kind: new Uint8Array(n), ref: new Int32Array(n), groups: placed, waters, problems };
  for (const u of units)
    u.atoms.forEach((at, k) => {
      layout.kind[layout.atoms.length] = u.kind;
      layout.ref[layout.atoms.length] = u.ref + (u.kind === 0 ? k : 0);
      layout.atoms.push(at);
    });
  return layout;
}

/**
 * Particle positions of a frame: `X` the input atoms (molecules made whole), `beads` the solute's bead positions;
 * a water bead at the centre of its oxygens (each at its image nearest the reference one), put in the box.
 */
function placeLayout(layout: SolventLayout, X: ArrayLike<number>, L: [number, number, number] | null, beads: ArrayLike<number> | null, out?: Float64Array): Float64Array {
  const n = layout.kind.length;
  const o = out ?? new Float64Array(3 * n);
  for (let p = 0; p < n; p++) {
    const r = layout.ref[p];
    if (layout.kind[p] === 0) {
      o[3 * p] = beads![3 * r];
      o[3 * p + 1] = beads![3 * r + 1];
      o[3 * p + 2] = beads![3 * r + 2];
    } else if (layout.kind[p] === 1) {
      o[3 * p] = X[3 * r];
      o[3 * p + 1] = X[3 * r + 1];
      o[3 * p + 2] = X[3 * r + 2];
    } else {
      const { o0, oxygens } = layout.groups[r];
      const s = [0, 0, 0];
      for (const ox of oxygens)
        for (let c = 0; c < 3; c++) {
          let v = X[3 * ox + c] - X[3 * o0 + c];
          if (L) v -= Math.round(v / L[c]) * L[c];
          s[c] += v;
        }
      for (let c = 0; c < 3; c++) {
        let v = X[3 * o0 + c] + s[c] / oxygens.length;
        if (L) v -= Math.floor(v / L[c]) * L[c];
        o[3 * p + c] = v;
      }
    }
  }
  return o;
}

/** The layout's particles as a structure at `coords`. */
function layoutStructure(layout: SolventLayout, coords: Float64Array, soluteCg: Structure | null, aa: Structure): Structure {
  const sb = new StructureBuilder(layout.atoms.length + 16);
  layout.atoms.forEach((at, p) => sb.addAtom({ ...at, x: coords[3 * p], y: coords[3 * p + 1], z: coords[3 * p + 2] }));
  return sb.build(soluteCg?.source ?? `${aa.source} (mapped)`, aa.title, aa.box);
}

export interface MapTrajectoryOptions extends MapToCgOptions {
  /** All-atom topology (PDB/GRO/CIF); its models are the frames when `trajectory` is absent. */
  topology: string | Structure;
  /** XTC/TRR/DCD of the all-atom system (its particle count must be the topology's). */
  trajectory?: string;
  /** Mapping set id or folder, or a set already loaded. */
  mapping: string | MappingSet;
  /** Output: .pdb → multi-model CG PDB; .xtc/.trr/.dcd → CG trajectory plus `<out>.topology.pdb`. */
  out: string;
  format?: FramesFormat;
  force?: boolean;
  /** Frames by index in the input (`start:stop[:step]`, as `backmapTrajectory`); default every frame. */
  frames?: string | FrameRange;
  /** Every stride-th frame of the selection. */
  stride?: number;
  /** At most this many frames. */
  maxFrames?: number;
}

export interface MapTrajectoryResult {
  frames: number;
  /** Particles per CG frame. */
  beads: number;
  seconds: number;
  out: string;
  topologyOut?: string;
  /** The topology mapped: the CG topology, the forward report, its problems and molecule counts. */
  mapped: MapToCgResult;
}

/**
 * Maps every selected frame of an all-atom trajectory (or of a multi-model all-atom file) to CG. The topology is
 * mapped once (checks, warnings, the assignment, the particles and their order); each frame's particles are then
 * placed exactly as `mapStructureToCg` places them for that frame: molecules made whole in the frame's box, beads
 * from the same weights (bit for bit), molecules that were made whole put back in the box. Water beads keep the
 * topology's grouping of waters (a trajectory has one particle list; `mapStructureToCg` groups each structure anew).
 */
export async function mapTrajectory(opts: MapTrajectoryOptions, hooks: Hooks = {}): Promise<MapTrajectoryResult> {
  const t0 = performance.now();
  const top = typeof opts.topology === 'string' ? readStructureFile(opts.topology) : opts.topology;
  const format = framesFormatOf(opts.out, opts.format);
  const io = opts.trajectory || format !== 'pdb' ? await import('../trajectory/index') : null;
  // Refusals before any work: outputs not writable, an empty selection, then the topology's own checks.
  const output = new FrameOutput(opts.out, format, io, { force: opts.force, protect: protectedPaths(opts) });
  const selection = selectInputFrames(top, opts.trajectory, io, opts);
  const { mapped, place } = planFrameMapping(top, opts.mapping, opts);
  const cg = mapped.cg;
  const src = opts.trajectory ?? top.source;
  let failed = true;
  try {
    for (const frame of selectFrames(frameSource(top, opts.trajectory, io), selection.range)) {
      if (hooks.signal?.aborted) throw new CancelledError('mapping cancelled');
      output.write(cg, place(frame.coords, frame.box, frame.index, src), frame);
      frameProgress(hooks, output.count, selection.total);
      await yieldToLoop();
    }
    output.commitSelected(selection, top, opts.trajectory, io);
    failed = false;
  } finally {
    // A failed or cancelled run leaves nothing half-written (nor a topology without its trajectory).
    if (failed) output.discard();
  }
  return { frames: output.count, beads: cg.atoms.count, seconds: (performance.now() - t0) / 1000, out: opts.out, topologyOut: output.topologyOut, mapped };
}

export interface FrameMapping {
  /** The topology mapped by `mapStructureToCg`: its CG structure gives the particles of every frame. */
  mapped: MapToCgResult;
  /**
   * A frame's particle positions (input atom coordinates in Å, its box), equal to `mapStructureToCg`'s for a
   * structure with those coordinates and box. One buffer for every frame: use it before the next call.
   * `index` and `file` name the frame in the error for a non-finite coordinate.
   */
  place(coords: ArrayLike<number>, box: Box | null, index?: number, file?: string): Float64Array;
}

/** Maps `top` once (every check and warning of `mapStructureToCg`) and returns how to place the CG particles of any frame of it. */
export function planFrameMapping(top: Structure, mapping: string | MappingSet, opts: MapToCgOptions = {}): FrameMapping {
  const plan = mapWithPlan(top, mapping, opts);
  const n = top.atoms.count;
  const X = new Float64Array(3 * n);
  const work: Structure = { ...top, coords: X, models: [X] };
  const beads = plan.rows ? new Float64Array(plan.rows.sums.length * 3) : null;
  const out = new Float64Array(3 * plan.result.cg.atoms.count);
  const molecules = plan.split ? moleculeRangesOf(plan.result.cg) : [];
  const place = (coords: ArrayLike<number>, box: Box | null, index = 0, file = top.source): Float64Array => {
    if (coords.length !== 3 * n) throw new Error(`planFrameMapping: a frame of ${coords.length / 3} atoms for a topology of ${n}`);
    checkFrameFinite(top, coords, index, file);
    X.set(coords);
    work.box = box;
    const L = rectangularBoxLengths(box);
    const moved = L ? makeWhole(work, X).moved.some((x) => x) : false;
    if (beads) applyMappingMatrix(plan.rows!, X, beads);
    if (plan.layout) placeLayout(plan.layout, X, L, beads, out);
    else out.set(beads!);
    // As mapStructureToCg: only with water and ions split off (no `chain`), and only when a molecule was broken.
    if (plan.split && moved && L) putMovedBack(out, molecules, L);
    return out;
  };
  return { mapped: plan.result, place };
}
