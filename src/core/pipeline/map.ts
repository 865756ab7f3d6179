/**
 * All-atom → CG ("Map all-atom structure to CG…", `backmap map`, the worker's mapToCg) with the same input checks
 * as backmapping: units and reader warnings, a CG file given as all-atom, the mapping-warning policy, and a
 * structure the mapping knows nothing of.
 */
import { InputError, type InputWarning } from '../errors';
import type { MappingSet } from '../mapping/types';
import type { Structure } from '../structure/types';
import { mapToCg, summarizeForwardReport, type ForwardReport } from '../forward';
import type { CgSystem } from '../cg';
import { checkInputStructure, loadMappingChecked, refuseCg } from './plan';
import type { InputPolicy, MoleculeClass, MoleculeCount } from './options';
import { StructureBuilder, residuesOf } from '../structure/builder';
import { countSystem, moleculeTable, selectAtoms, splitAllAtom } from './molecules';
import { makeWhole, moleculeRanges as moleculeRangesOf, rectangularBoxLengths, wrapIntoBox } from './pbc';
import { cgWaterFor, groupWaters } from './solvent';

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
  if (split && (solventAtoms || moved)) {
    const merged = mergeSolvent(whole, split, result?.cg ?? null, moved);
    cg = merged.cg;
    if (split.waters.length) {
      molIn.set('water', split.waters.length);
      molOut.set('water', merged.waters);
    }
    if (split.ions.length) {
      molIn.set('ion', split.ions.length);
      molOut.set('ion', split.ions.length);
    }
    problems = [...problems, ...merged.problems];
  }
  return {
    cg: cg!,
    system,
    report,
    problems,
    summary: summarizeForwardReport(report),
    mappingId: set.id,
    ms: performance.now() - t,
    molecules: moleculeTable(molIn, molOut, split?.waters.length ? { water: 'water molecules (4 per W bead, 3 per SW, 2 per TW)' } : {}),
    beads: cg!.atoms.count,
  };
}

/**
 * The CG structure of a whole system in input order: the solute's beads (from `mapToCg`), one bead per ion
 * (Martini name) and one per group of waters (W, SW, TW), each at the position of what it stands for; molecules
 * that were made whole are put back in the box (centre inside).
 */
function mergeSolvent(aa: Structure, split: ReturnType<typeof splitAllAtom>, soluteCg: Structure | null, moved: Uint8Array | null): { cg: Structure; waters: number; problems: string[] } {
  const a = aa.atoms;
  const X = aa.coords;
  const problems: string[] = [];
  const L = rectangularBoxLengths(aa.box);
  // Units keyed by their first input atom: solute residues (in the order mapToCg wrote them), ions, water groups.
  interface Unit {
    key: number;
    atoms: { name: string; resName: string; chainId: string; resSeq: number; iCode: string; x: number; y: number; z: number }[];
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
      const atoms: Unit['atoms'] = [];
      for (let i = r.start; i < r.end; i++)
        atoms.push({ name: c.name[i], resName: c.resName[i], chainId: c.chainId[i], resSeq: c.resSeq[i], iCode: c.iCode[i], x: soluteCg.coords[3 * i], y: soluteCg.coords[3 * i + 1], z: soluteCg.coords[3 * i + 2] });
      units.push({ key, atoms });
      ri++;
    }
  }
  for (const { index: i, ion } of split.ions)
    units.push({ key: i, atoms: [{ name: ion.cg, resName: ion.cg, chainId: a.chainId[i], resSeq: a.resSeq[i], iCode: a.iCode[i], x: X[3 * i], y: X[3 * i + 1], z: X[3 * i + 2] }] });
  const oxygens = new Float64Array(3 * split.waters.length);
  split.waters.forEach((w, k) => oxygens.set(X.subarray(3 * w.oxygen, 3 * w.oxygen + 3), 3 * k));
  const { groups, left } = groupWaters(oxygens, aa.box);
  let waters = 0;
  for (const g of groups) {
    const first = split.waters[Math.min(...g)];
    const o0 = first.oxygen;
    // Centre of the oxygens, each at its image nearest the first one.
    let x = 0;
    let y = 0;
    let z = 0;
    for (const k of g) {
      const o = split.waters[k].oxygen;
      const d = [0, 1, 2].map((c) => {
        let v = X[3 * o + c] - X[3 * o0 + c];
        if (L) v -= Math.round(v / L[c]) * L[c];
        return v;
      });
      x += d[0];
      y += d[1];
      z += d[2];
    }
    const p = [X[3 * o0] + x / g.length, X[3 * o0 + 1] + y / g.length, X[3 * o0 + 2] + z / g.length];
    if (L) for (let c = 0; c < 3; c++) p[c] -= Math.floor(p[c] / L[c]) * L[c];
    const w = cgWaterFor(g.length);
    waters += g.length;
    units.push({ key: first.start, atoms: [{ name: w.name, resName: w.name, chainId: a.chainId[first.start], resSeq: a.resSeq[first.start], iCode: '', x: p[0], y: p[1], z: p[2] }] });
  }
  if (left.length) {
    const w = split.waters[left[0]];
    problems.push(`${left.length} water molecule(s) left out: a lone water is no Martini particle (${aa.source}:${a.sourceLine[w.start]})`);
  }
  units.sort((p, q) => p.key - q.key);
  const sb = new StructureBuilder(units.length + 16);
  for (const u of units) for (const at of u.atoms) sb.addAtom(at);
  const cg = sb.build(soluteCg?.source ?? `${aa.source} (mapped)`, aa.title, aa.box);
  // Molecules made whole go back in the box: per CG residue (proteins per chain run).
  if (moved && L) {
    const sol = moleculeRangesOf(cg);
    for (const m of sol) {
      let out = false;
      for (let k = 0; k < 3 && !out; k++) for (let i = m.start; i < m.end; i++) if (cg.coords[3 * i + k] < 0 || cg.coords[3 * i + k] >= L[k]) out = true;
      if (out) wrapIntoBox(cg.coords, Int32Array.from({ length: m.end - m.start }, (_, k) => m.start + k), L);
    }
  }
  return { cg, waters, problems };
}
