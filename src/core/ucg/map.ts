/**
 * A UCG mapping applied to a structure (docs/ucg-mapping.md): which residues of the structure make which bead, the
 * bead positions of a frame (the mean of the members' CA atoms, `site: ca-centroid`), and the UCG structure written
 * for those positions (one pseudo-atom per bead). Works on all-atom and C-alpha-only inputs alike, since only CA
 * atoms define a bead. Everything that would map silently wrong is refused with the mapping file and line: a residue
 * the structure lacks, a residue without CA, a sequence that differs from the one the mapping was made for.
 */
import { InputError, type InputWarning } from '../errors';
import { readFileHead } from '../io/text';
import { residuesOf, StructureBuilder } from '../structure/builder';
import type { AtomTable, Residue, Structure } from '../structure/types';
import { oneLetterCode } from '../chemistry/variants';
import { residueInRange, type UcgMapping } from './format';
import { wholeFrames } from '../pipeline/pbc';
import { noFrameSelected, selectInputFrames } from '../trajectory/frames';
import * as trajectoryIo from '../trajectory/index';

/** Residue name written for every UCG bead (one pseudo-atom per bead, atom name = bead name). */
export const UCG_RESNAME = 'UCG';

/** A covered residue of the structure, as the mapping sees it (also the residue list a UCG model's card keeps). */
export interface UcgResidue {
  chainId: string;
  resSeq: number;
  iCode: string;
  resName: string;
  /** Bead index (mapping order). */
  bead: number;
}

export interface UcgPlan {
  mapping: UcgMapping;
  /** Covered residues in structure order. */
  residues: UcgResidue[];
  /** Atom index of each covered residue's CA. */
  caAtom: Int32Array;
  /** Structure residue (residuesOf) of each covered residue. */
  structureResidue: Residue[];
  /** Covered-residue indices of each bead. */
  beadMembers: number[][];
  /** Amino-acid residues with a CA that no bead holds (not mapped, not rebuilt). */
  uncovered: Residue[];
}


function residueLabel(r: { chainId: string; resSeq: number; iCode: string; resName?: string }): string {
  return `${r.resName ? `${r.resName} ` : ''}${r.chainId || '_'}:${r.resSeq}${r.iCode}`;
}

/**
 * The residue's C-alpha, the atom a UCG bead is made of (-1 when it has none): the first atom named CA that is not
 * a calcium ion (element Ca, or a residue named CA without an element column).
 */
export function alphaCarbonAtom(atoms: AtomTable, r: Residue): number {
  for (let i = r.start; i < r.end; i++)
    if (atoms.name[i] === 'CA' && atoms.element[i] !== 'CA' && !(atoms.element[i] === '' && r.resName === 'CA')) return i;
  return -1;
}

/** Plans `mapping` on `s`: every residue of every range must exist and have a CA; `sequence`, when given, must match. */
export function planUcg(s: Structure, mapping: UcgMapping, warn?: (w: InputWarning) => void): UcgPlan {
  const all = residuesOf(s.atoms);
  const ca = new Map<Residue, number>();
  for (const r of all) {
    const i = alphaCarbonAtom(s.atoms, r);
    if (i >= 0) ca.set(r, i);
  }
  const beadOf = new Map<Residue, number>();
  const rangeHits = new Map<object, number>();
  for (const r of all) {
    if (!ca.has(r) && r.resName === 'CA') continue; // an ion, not a residue of the protein
    mapping.beads.forEach((b, k) => {
      for (const range of b.ranges)
        if (residueInRange(r, range)) {
          rangeHits.set(range, (rangeHits.get(range) ?? 0) + 1);
          if (!beadOf.has(r)) beadOf.set(r, k);
        }
    });
  }
  // A range matching nothing means the mapping was made for another numbering or another protein.
  for (const b of mapping.beads)
    for (const range of b.ranges)
      if (!rangeHits.get(range))
        throw new InputError(
          `bead ${b.name}: no residue of ${s.source} lies in ${range.chainId || '_'}:${range.start.resSeq}${range.start.iCode}-${range.end.resSeq}${range.end.iCode} (the mapping was made for another structure or numbering)`,
          mapping.file,
          range.span.line,
        );
  const residues: UcgResidue[] = [];
  const caAtom: number[] = [];
  const structureResidue: Residue[] = [];
  const beadMembers: number[][] = mapping.beads.map(() => []);
  const uncovered: Residue[] = [];
  for (const r of all) {
    const k = beadOf.get(r);
    if (k === undefined) {
      if (ca.has(r) && r.resName !== UCG_RESNAME) uncovered.push(r);
      continue;
    }
    const i = ca.get(r);
    if (i === undefined)
      throw new InputError(`residue ${residueLabel(r)} of bead ${mapping.beads[k].name} has no CA atom (a UCG bead is the centre of its residues' CA atoms)`, s.source, s.atoms.sourceLine[r.start] || undefined);
    beadMembers[k].push(residues.length);
    residues.push({ chainId: r.chainId, resSeq: r.resSeq, iCode: r.iCode, resName: r.resName, bead: k });
    caAtom.push(i);
    structureResidue.push(r);
  }
  // The sequence the mapping was made for: a different protein with the same numbering would otherwise map silently.
  for (const [chain, seq] of Object.entries(mapping.sequence)) {
    const mine = residues.filter((r) => r.chainId === (chain === '_' ? '' : chain));
    const got = mine.map((r) => oneLetterCode(r.resName)).join('');
    if (got === seq) continue;
    let at = 0;
    while (at < Math.min(got.length, seq.length) && got[at] === seq[at]) at++;
    const r = at < mine.length ? structureResidue[residues.indexOf(mine[at])] : undefined;
    throw new InputError(
      `chain ${chain || '_'}: the structure's residues (${got.length}) differ from the mapping's sequence (${seq.length}) at position ${at + 1}` +
        (r ? ` (${residueLabel(r)}, mapping has ${seq[at] ?? 'nothing'})` : '') +
        ': this mapping was made for another protein',
      s.source,
      r ? s.atoms.sourceLine[r.start] || undefined : undefined,
    );
  }
  if (uncovered.length)
    warn?.({
      message: `${uncovered.length} residue(s) with a CA are in no bead of ${mapping.file} (first ${residueLabel(uncovered[0])}); they are not mapped`,
      file: s.source,
      line: s.atoms.sourceLine[uncovered[0].start] || undefined,
    });
  return { mapping, residues, caAtom: Int32Array.from(caAtom), structureResidue, beadMembers, uncovered };
}

/** Bead positions (3 per bead) of one frame of the planned structure. */
export function ucgBeadCoords(plan: UcgPlan, coords: ArrayLike<number>): Float64Array {
  const out = new Float64Array(3 * plan.beadMembers.length);
  plan.beadMembers.forEach((members, k) => {
    for (const m of members) {
      const a = plan.caAtom[m];
      for (let c = 0; c < 3; c++) out[3 * k + c] += coords[3 * a + c];
    }
    for (let c = 0; c < 3; c++) out[3 * k + c] /= members.length || 1;
  });
  return out;
}

/** Chain id of a bead: that of its first residue. */
export function beadChains(plan: UcgPlan): string[] {
  return plan.beadMembers.map((m) => (m.length ? plan.residues[m[0]].chainId : ''));
}

/** The UCG structure of one or more frames of bead positions: one atom per bead (resName UCG, atom name = bead name). */
export function ucgStructure(mapping: UcgMapping, chains: string[], frames: Float64Array[], source: string): Structure {
  const b = new StructureBuilder(mapping.beads.length);
  const first = frames[0];
  mapping.beads.forEach((bead, k) =>
    b.addAtom({ name: bead.name, resName: UCG_RESNAME, chainId: chains[k] ?? '', resSeq: k + 1, x: first[3 * k], y: first[3 * k + 1], z: first[3 * k + 2] }),
  );
  return b.build(source, `UCG beads of ${mapping.name || mapping.file} (${mapping.beads.length} beads)`, null, frames.slice(1).map((f) => Float64Array.from(f)));
}

/** True when a structure holds UCG beads (every atom a pseudo-atom of residue UCG). */
export function looksUcg(s: Structure): boolean {
  if (!s.atoms.count) return false;
  for (let i = 0; i < s.atoms.count; i++) if (s.atoms.resName[i] !== UCG_RESNAME) return false;
  return true;
}

/**
 * Checks that a UCG structure holds the mapping's beads, in order, and returns the atom index of each bead. `model`
 * names the model or stage that needs them (messages).
 */
export function ucgBeadAtoms(s: Structure, mapping: UcgMapping, model: string): Int32Array {
  const n = mapping.beads.length;
  const names: string[] = [];
  for (let i = 0; i < s.atoms.count; i++) names.push(s.atoms.name[i]);
  if (!looksUcg(s))
    throw new InputError(`${model} takes UCG beads (residue ${UCG_RESNAME}, one atom per bead; made by 'backmap map --mapping <file.ucg.yaml>'), but this file holds ${s.atoms.resName[0]} residues`, s.source, s.atoms.sourceLine[0] || undefined);
  if (names.length !== n || names.some((x, k) => x !== mapping.beads[k].name)) {
    const k = names.findIndex((x, j) => x !== mapping.beads[j]?.name);
    throw new InputError(
      `${model} takes the ${n} beads of its UCG mapping '${mapping.name || mapping.file}' (${mapping.beads.slice(0, 4).map((b) => b.name).join(', ')}…), but this file has ${names.length} bead(s)` +
        (k >= 0 ? `; bead ${k + 1} is '${names[k] ?? 'missing'}', expected '${mapping.beads[k]?.name ?? 'none'}'` : ''),
      s.source,
      (k >= 0 && k < s.atoms.count ? s.atoms.sourceLine[k] : 0) || undefined,
    );
  }
  return Int32Array.from({ length: n }, (_, k) => k);
}

/**
 * Every selected frame of a structure (its models, or a trajectory of it) as coordinate sets, checked finite and
 * made whole in their box. `frames`, `stride` and `maxFrames` select as for every other command.
 */
export function readFrames(
  top: Structure,
  trajectory: string | undefined,
  sel: { frames?: string; stride?: number; maxFrames?: number } = {},
): { frames: Float64Array[]; indices: number[] } {
  const selection = selectInputFrames(top, trajectory, trajectoryIo, sel);
  const frames: Float64Array[] = [];
  const indices: number[] = [];
  for (const frame of wholeFrames(top, trajectory, selection.range)) {
    frames.push(Float64Array.from(frame.coords));
    indices.push(frame.index);
  }
  if (!frames.length) throw noFrameSelected(selection.given, selection.available, trajectory ?? top.source);
  return { frames, indices };
}

/** Maps every selected frame of an all-atom or C-alpha structure (or its trajectory) to UCG beads: one model per frame. */
export function mapUcgFrames(
  top: Structure,
  mapping: UcgMapping,
  opts: { trajectory?: string; frames?: string; stride?: number; maxFrames?: number; warn?: (w: InputWarning) => void } = {},
): { cg: Structure; plan: UcgPlan; frames: number } {
  const plan = planUcg(top, mapping, opts.warn);
  const { frames } = readFrames(top, opts.trajectory, opts);
  const beads = frames.map((f) => ucgBeadCoords(plan, f));
  return { cg: ucgStructure(mapping, beadChains(plan), beads, top.source), plan, frames: beads.length };
}

/** Whether a structure file holds UCG beads, from its first atom record (cheap: reads at most 64 KB). */
export function isUcgStructureFile(path: string): boolean {
  const head = readFileHead(path);
  if (!head || (head[0] === 0x1f && head[1] === 0x8b)) return false; // gzip: read in full by the pipeline instead
  const line = head.toString('latin1').split(/\r?\n/).find((l) => l.startsWith('ATOM  ') || l.startsWith('HETATM'));
  return !!line && line.slice(17, 21).trim() === UCG_RESNAME;
}
