/**
 * Hydrogen templates for a user-trained model (`backmap train`): every hydrogen of the training topology that the
 * model does not rebuild, in internal coordinates from heavy atoms the model does rebuild, measured on the training
 * frames. The card carries them (`ModelCard.hydrogens`) and `placeTemplateHydrogens` (src/core/ligand-hydrogens.ts)
 * puts the hydrogens back on a backmapped structure, so a ligand gets the hydrogens its own simulation had.
 *
 * Per hydrogen: the parent is the nearest rebuilt heavy atom of its residue (≤ 1.3 Å, checked on every frame); the
 * heavy-atom bonds come from distances (median over the first frames ≤ sum of covalent radii + 0.4 Å). The NeRF frame
 * is the parent's first two heavy neighbours (topology order); a parent with one heavy neighbour (CH3, OH, NH3+, a
 * terminal =CH2: a rotor) takes that neighbour and the neighbour's first other neighbour (or, when it has none, the
 * nearest other heavy atom). Bond and angle are medians over the frames; a dihedral is the circular mean within the
 * most populated mode of its distribution (a unimodal dihedral: its circular mean without outliers; a rotor: one of
 * its staggered wells, not the meaningless mean of three). The hydrogens of a rotor keep their offsets from the
 * first one (circular means, snapped to a multiple of 60° when within 15°, so CH3/NH3+ stay exactly 120° apart) and
 * share one phase; a group of m equivalent hydrogens spaced 360/m apart has its phase folded by that symmetry.
 */
import type { Structure } from '../structure/types';
import type { ForwardResult } from '../forward';
import type { HydrogenTemplate } from '../model/contract';
import { residuesOf } from '../structure/builder';
import { guessElement } from '../structure/elements';
import { COVALENT_RADIUS } from '../chemistry/elements';
import { angleAt, dihedralAt } from '../geometry/dihedral';

/** Farthest a hydrogen may be from its parent heavy atom (Å). */
export const PARENT_MAX = 1.3;
/** Frames whose median distances decide parents and bonds (the first ones; all when fewer). */
const PLAN_FRAMES = 10;
/** Samples kept per quantity: more are decimated evenly (every other kept, stride doubled), deterministically. */
const RESERVOIR = 4096;
/** A heavy-atom pair is bonded when its median distance is at most the sum of covalent radii plus this (Å). */
const BOND_TOLERANCE = 0.4;
/** Offsets within a rotor snap to the nearest multiple of this (°) when within SNAP_WITHIN. */
const SNAP_STEP = 60;
const SNAP_WITHIN = 15;

/** One residue instance of a molecule: the heavy atoms the model rebuilds (canonical names) and its hydrogens. */
export interface TemplateTarget {
  molecule: string;
  heavy: { index: number; name: string; element: string }[];
  hydrogens: { index: number; name: string; element: string }[];
}

export interface TemplateProblem {
  message: string;
  /** Topology atom the problem is about (its line is the caller's to look up). */
  atom: number;
}

export interface HydrogenTemplateResult {
  templates: Record<string, HydrogenTemplate[]>;
  /** Hydrogens that got no template, residues that disagree with their molecule's first, parents not nearest: one each. */
  problems: TemplateProblem[];
  frames: number;
}

const isHydrogen = (e: string) => e === 'H' || e === 'D';
const elementOf = (s: Structure, i: number) => (s.atoms.element[i] || guessElement(s.atoms.name[i], s.atoms.resName[i])).toUpperCase();

/**
 * The residues of a planned mapping as template targets: per mapped residue, the heavy atoms its beads rebuild (the
 * mapping's canonical names, what `reconstruct` writes) and the hydrogens of its topology residue that no slot rebuilds.
 */
export function templateTargets(top: Structure, fw: ForwardResult): TemplateTarget[] {
  const R = fw.system.set.maxSlots;
  const residueOf = new Int32Array(top.atoms.count).fill(-1);
  const residues = residuesOf(top.atoms);
  for (const r of residues) residueOf.fill(r.index, r.start, r.end);
  const out: TemplateTarget[] = [];
  for (const res of fw.system.residues) {
    const heavy: TemplateTarget['heavy'] = [];
    const rebuilt = new Set<number>();
    let topRes = -1;
    for (const bi of res.beads) {
      const b = fw.system.beads[bi];
      const slots = b.molecule.beads[b.bead].slots;
      for (let j = 0; j < slots.length; j++) {
        const i = fw.slotAtoms[bi * R + j];
        if (i < 0 || rebuilt.has(i)) continue;
        rebuilt.add(i);
        topRes = residueOf[i];
        const element = elementOf(top, i);
        if (!isHydrogen(element)) heavy.push({ index: i, name: b.molecule.atoms[slots[j].atom].names[0], element });
      }
    }
    if (topRes < 0) continue;
    const r = residues[topRes];
    const hydrogens: TemplateTarget['hydrogens'] = [];
    for (let i = r.start; i < r.end; i++) {
      const element = elementOf(top, i);
      if (isHydrogen(element) && !rebuilt.has(i)) hydrogens.push({ index: i, name: top.atoms.name[i], element });
    }
    heavy.sort((a, b) => a.index - b.index);
    out.push({ molecule: res.molecule.name, heavy, hydrogens });
  }
  return out;
}

/** Samples of one quantity, decimated evenly once there are RESERVOIR of them (deterministic). */
class Reservoir<T> {
  readonly values: T[] = [];
  private stride = 1;
  private seen = 0;
  add(v: T): void {
    if (this.seen++ % this.stride) return;
    this.values.push(v);
    if (this.values.length >= RESERVOIR) {
      let k = 0;
      for (let i = 0; i < this.values.length; i += 2) this.values[k++] = this.values[i];
      this.values.length = k;
      this.stride *= 2;
    }
  }
}

/** A hydrogen of a molecule's template under construction. */
interface Entry {
  name: string;
  element: string;
  parent: string;
  ref1: string;
  ref2: string;
  /** Rotor group (`parent:H names`) or null. */
  group: string | null;
  bond: Reservoir<number>;
  angle: Reservoir<number>;
  dihedral: Reservoir<number>;
  /** Frames on which another rebuilt heavy atom was nearer, or the parent farther than PARENT_MAX. */
  parentMisses: number;
  samples: number;
  firstAtom: number;
}

interface MoleculeTemplate {
  entries: Entry[];
  /** Rotor group → entry indices in template order, and the members' dihedrals per sample (one tuple per residue frame). */
  groups: Map<string, { members: number[]; tuples: Reservoir<number[]> }>;
}

/** An instance as planned: topology indices of each hydrogen's atoms, and its entry in the molecule's template. */
interface PlannedInstance {
  molecule: MoleculeTemplate;
  heavy: number[];
  h: { atom: number; parent: number; ref1: number; ref2: number; entry: number }[];
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const wrap = (d: number) => {
  let x = ((d + 180) % 360 + 360) % 360 - 180;
  if (x === -180) x = 180;
  return x;
};
const RAD = Math.PI / 180;

/** Circular mean (°) of angles; NaN for none. */
function circularMean(v: number[]): number {
  let s = 0;
  let c = 0;
  for (const x of v) {
    s += Math.sin(x * RAD);
    c += Math.cos(x * RAD);
  }
  return v.length ? Math.atan2(s, c) / RAD : NaN;
}

/**
 * The circular mean within the most populated mode of angles of period `period` (°): a 72-bin histogram smoothed over
 * ±3 bins gives the peak, then the circular mean of the samples within ±period/6 of it. Returns a value in [0, period).
 */
export function modeCircularMean(values: number[], period = 360): number {
  const bins = 72;
  const h = new Float64Array(bins);
  const scaled = values.map((v) => ((v % period) + period) % period);
  for (const v of scaled) h[Math.min(bins - 1, Math.floor((v / period) * bins))]++;
  let best = 0;
  let bestCount = -1;
  for (let b = 0; b < bins; b++) {
    let s = 0;
    for (let d = -3; d <= 3; d++) s += h[(b + d + bins) % bins] * (4 - Math.abs(d));
    if (s > bestCount) {
      bestCount = s;
      best = b;
    }
  }
  const centre = ((best + 0.5) / bins) * period;
  const near = scaled.filter((v) => Math.abs(wrapPeriod(v - centre, period)) <= period / 6);
  // On the full circle, scaled by 360/period so a folded period averages correctly.
  const mean = circularMean(near.map((v) => (v * 360) / period)) * (period / 360);
  return ((mean % period) + period) % period;
}

const wrapPeriod = (d: number, p: number) => (((d + p / 2) % p) + p) % p - p / 2;

/**
 * Collects the frames of a training run and makes the templates. `add` every frame (whole molecules, Å; the array may
 * be reused by the caller), then `finish`.
 */
export class HydrogenTemplateCollector {
  private readonly buffered: Float64Array[] = [];
  private planned: PlannedInstance[] | null = null;
  private readonly molecules = new Map<string, MoleculeTemplate>();
  /** Problems by kind, molecule and hydrogen: one message each, however many residues share it. */
  private readonly issues = new Map<string, { atom: number; count: number; say: (residues: number) => string }>();
  private frames = 0;
  /** Every atom the targets name, and where its coordinates sit in a buffered frame. */
  private readonly atoms: number[];
  private readonly slot = new Map<number, number>();

  constructor(private readonly targets: TemplateTarget[]) {
    const atoms = new Set<number>();
    for (const t of targets) for (const a of [...t.heavy, ...t.hydrogens]) atoms.add(a.index);
    this.atoms = [...atoms].sort((a, b) => a - b);
    this.atoms.forEach((a, k) => this.slot.set(a, k));
  }

  /** Whether there is anything to measure (some target residue has a hydrogen). */
  get empty(): boolean {
    return !this.targets.some((t) => t.hydrogens.length);
  }

  add(coords: ArrayLike<number>): void {
    if (this.empty) return;
    this.frames++;
    if (this.planned) return this.measure(coords);
    const f = new Float64Array(3 * this.atoms.length);
    this.atoms.forEach((a, k) => {
      f[3 * k] = coords[3 * a];
      f[3 * k + 1] = coords[3 * a + 1];
      f[3 * k + 2] = coords[3 * a + 2];
    });
    this.buffered.push(f);
    if (this.buffered.length === PLAN_FRAMES) this.plan();
  }

  finish(): HydrogenTemplateResult {
    if (!this.planned && this.buffered.length) this.plan();
    const templates: Record<string, HydrogenTemplate[]> = {};
    for (const [name, mol] of this.molecules) {
      const dihedral = new Float64Array(mol.entries.length).fill(NaN);
      for (const g of mol.groups.values()) groupDihedrals(mol, g, dihedral);
      mol.entries.forEach((e, k) => {
        if (!e.group) dihedral[k] = e.dihedral.values.length ? modeCircularMean(e.dihedral.values) : NaN;
        if (e.parentMisses > Math.max(0, 0.01 * e.samples))
          this.note(`parent:${name}:${e.name}`, e.firstAtom, () => `${name} ${e.name}: another heavy atom was nearer than ${e.parent}, or ${e.parent} farther than ${PARENT_MAX} Å, in ${e.parentMisses} of ${e.samples} residue frame(s)`);
      });
      const list: HydrogenTemplate[] = [];
      mol.entries.forEach((e, k) => {
        const bond = e.bond.values.length ? median(e.bond.values) : NaN;
        const angle = e.angle.values.length ? median(e.angle.values) : NaN;
        if (!(Number.isFinite(bond) && Number.isFinite(angle) && Number.isFinite(dihedral[k]))) {
          this.note(`undefined:${name}:${e.name}`, e.firstAtom, () => `${name} ${e.name}: no frame gave a defined bond, angle and dihedral (atoms on one line?); it gets no template`);
          return;
        }
        list.push({ name: e.name, element: e.element, parent: e.parent, ref1: e.ref1, ref2: e.ref2, bond: round(bond, 4), angle: round(angle, 2), dihedral: cardDihedral(dihedral[k]) });
      });
      if (list.length) templates[name] = list;
    }
    const problems = [...this.issues.values()].map((x) => ({ message: x.say(x.count), atom: x.atom }));
    return { templates, problems, frames: this.frames };
  }

  private note(key: string, atom: number, say: (residues: number) => string): void {
    const had = this.issues.get(key);
    if (had) had.count++;
    else this.issues.set(key, { atom, count: 1, say });
  }

  /** Parents, bonds and reference atoms from the median distances of the buffered frames. */
  private plan(): void {
    const F = this.buffered;
    const dist = (i: number, j: number) => {
      const a = this.slot.get(i)!;
      const b = this.slot.get(j)!;
      return median(F.map((f) => Math.hypot(f[3 * a] - f[3 * b], f[3 * a + 1] - f[3 * b + 1], f[3 * a + 2] - f[3 * b + 2])));
    };
    const planned: PlannedInstance[] = [];
    for (const t of this.targets) {
      if (!t.hydrogens.length) continue;
      const heavy = t.heavy;
      const byIndex = new Map(heavy.map((a) => [a.index, a]));
      const neighbours = new Map<number, number[]>(heavy.map((a) => [a.index, []]));
      const d = new Map<string, number>();
      for (let x = 0; x < heavy.length; x++)
        for (let y = x + 1; y < heavy.length; y++) {
          const r = dist(heavy[x].index, heavy[y].index);
          d.set(`${heavy[x].index}:${heavy[y].index}`, r);
          d.set(`${heavy[y].index}:${heavy[x].index}`, r);
          if (r <= (COVALENT_RADIUS[heavy[x].element] ?? 0.8) + (COVALENT_RADIUS[heavy[y].element] ?? 0.8) + BOND_TOLERANCE) {
            neighbours.get(heavy[x].index)!.push(heavy[y].index);
            neighbours.get(heavy[y].index)!.push(heavy[x].index);
          }
        }
      const plannedH: PlannedInstance['h'] = [];
      const draft: (Omit<Entry, 'bond' | 'angle' | 'dihedral' | 'parentMisses' | 'samples'> & { atoms: [number, number, number, number] })[] = [];
      for (const h of t.hydrogens) {
        let parent = -1;
        let best = Infinity;
        for (const a of heavy) {
          const r = dist(h.index, a.index);
          if (r < best) [best, parent] = [r, a.index];
        }
        if (parent < 0 || !(best <= PARENT_MAX)) {
          const nearest = Number.isFinite(best) ? `${best.toFixed(2)} Å` : 'none';
          this.note(`noparent:${t.molecule}:${h.name}`, h.index, (n) => `${t.molecule} ${h.name}: no heavy atom the model rebuilds within ${PARENT_MAX} Å (nearest ${nearest}${n > 1 ? `; in ${n} residues` : ''}); it gets no template there`);
          continue;
        }
        const nb = neighbours.get(parent)!;
        let ref1 = -1;
        let ref2 = -1;
        if (nb.length >= 2) [ref1, ref2] = nb;
        else if (nb.length === 1) {
          ref1 = nb[0];
          ref2 = neighbours.get(ref1)!.find((x) => x !== parent) ?? -1;
          if (ref2 < 0) {
            // A two-heavy-atom end (e.g. CH3–OH): the nearest other heavy atom not on the parent–ref1 line.
            let far = Infinity;
            for (const a of heavy) {
              if (a.index === parent || a.index === ref1) continue;
              const r = d.get(`${ref1}:${a.index}`)!;
              const ang = median(F.map((f) => angleAt(f, this.slot.get(a.index)!, this.slot.get(ref1)!, this.slot.get(parent)!)));
              if (r < far && ang > 10 && ang < 170) [far, ref2] = [r, a.index];
            }
          }
        }
        if (ref1 < 0 || ref2 < 0) {
          const why = nb.length ? 'no second heavy atom to define a frame' : 'no bonded heavy atom the model rebuilds';
          this.note(`noframe:${t.molecule}:${h.name}`, h.index, (n) => `${t.molecule} ${h.name}: its parent ${byIndex.get(parent)!.name} has ${why}${n > 1 ? ` (in ${n} residues)` : ''}; it gets no template there`);
          continue;
        }
        draft.push({
          name: h.name, element: h.element, parent: byIndex.get(parent)!.name, ref1: byIndex.get(ref1)!.name, ref2: byIndex.get(ref2)!.name,
          group: nb.length === 1 ? byIndex.get(parent)!.name : null, firstAtom: h.index, atoms: [h.index, parent, ref1, ref2],
        });
      }
      // A rotor group is its parent's hydrogens in this residue (an N-terminal NH3+ and an inner NH are two groups).
      for (const e of draft) if (e.group) e.group = `${e.parent}:${draft.filter((x) => x.group && x.parent === e.parent).map((x) => x.name).join(',')}`;
      let mol = this.molecules.get(t.molecule);
      if (!mol) {
        mol = { entries: [], groups: new Map() };
        this.molecules.set(t.molecule, mol);
      }
      // Instances of a molecule share its template: a hydrogen first seen here joins it (after those seen before, so the
      // order is the topology's order of first appearance); one bonded otherwise than where it was first seen is left out.
      for (const e of draft) {
        let k = mol.entries.findIndex((x) => x.name === e.name);
        if (k < 0) {
          k = mol.entries.length;
          mol.entries.push({ ...e, bond: new Reservoir(), angle: new Reservoir(), dihedral: new Reservoir(), parentMisses: 0, samples: 0 });
          if (e.group) {
            if (!mol.groups.has(e.group)) mol.groups.set(e.group, { members: [], tuples: new Reservoir() });
            mol.groups.get(e.group)!.members.push(k);
          }
        }
        const m = mol.entries[k];
        if (m.parent !== e.parent || m.ref1 !== e.ref1 || m.ref2 !== e.ref2 || m.group !== e.group) {
          this.note(`differs:${t.molecule}:${e.name}`, e.atoms[0], (n) => `${t.molecule} ${e.name}: bonded otherwise, or with other hydrogens on its parent, than in the first residue that has it (parent ${m.parent}, frame ${m.ref1}, ${m.ref2}) in ${n} residue(s); those are left out of the template`);
          continue;
        }
        plannedH.push({ atom: e.atoms[0], parent: e.atoms[1], ref1: e.atoms[2], ref2: e.atoms[3], entry: k });
      }
      planned.push({ molecule: mol, heavy: heavy.map((a) => a.index), h: plannedH });
    }
    this.planned = planned;
    // The buffered frames are measured like any other (in the buffer's own atom numbering).
    const remap = (p: PlannedInstance): PlannedInstance => ({
      molecule: p.molecule,
      heavy: p.heavy.map((i) => this.slot.get(i)!),
      h: p.h.map((x) => ({ atom: this.slot.get(x.atom)!, parent: this.slot.get(x.parent)!, ref1: this.slot.get(x.ref1)!, ref2: this.slot.get(x.ref2)!, entry: x.entry })),
    });
    const local = planned.map(remap);
    for (const f of F) this.measureWith(local, f);
    this.buffered.length = 0;
  }

  private measure(coords: ArrayLike<number>): void {
    this.measureWith(this.planned!, coords);
  }

  private measureWith(instances: PlannedInstance[], c: ArrayLike<number>): void {
    for (const p of instances) {
      const dihedrals = new Map<number, number>();
      for (const h of p.h) {
        const e = p.molecule.entries[h.entry];
        e.samples++;
        const d2 = (a: number) => (c[3 * a] - c[3 * h.atom]) ** 2 + (c[3 * a + 1] - c[3 * h.atom + 1]) ** 2 + (c[3 * a + 2] - c[3 * h.atom + 2]) ** 2;
        const bond2 = d2(h.parent);
        let nearer = false;
        for (const a of p.heavy) if (a !== h.parent && d2(a) < bond2) nearer = true;
        const bond = Math.sqrt(bond2);
        if (nearer || !(bond <= PARENT_MAX)) e.parentMisses++;
        const angle = angleAt(c, h.ref1, h.parent, h.atom);
        const dihedral = dihedralAt(c, h.ref2, h.ref1, h.parent, h.atom);
        if (!(Number.isFinite(bond) && Number.isFinite(angle) && Number.isFinite(dihedral))) continue;
        e.bond.add(bond);
        e.angle.add(angle);
        if (e.group) dihedrals.set(h.entry, dihedral);
        else e.dihedral.add(dihedral);
      }
      for (const g of p.molecule.groups.values()) {
        const tuple = g.members.map((k) => dihedrals.get(k) ?? NaN);
        if (tuple.every(Number.isFinite)) g.tuples.add(tuple);
      }
    }
  }
}

/** A rotor's dihedrals: exact offsets from its first hydrogen and one phase, folded by the group's symmetry. */
function groupDihedrals(mol: MoleculeTemplate, g: { members: number[]; tuples: Reservoir<number[]> }, out: Float64Array): void {
  const T = g.tuples.values;
  if (!T.length) return;
  const m = g.members.length;
  const offsets = g.members.map((_, j) => {
    const raw = circularMean(T.map((t) => t[j] - t[0]));
    const snapped = Math.round(raw / SNAP_STEP) * SNAP_STEP;
    return ((Math.abs(raw - snapped) <= SNAP_WITHIN ? snapped : raw) % 360 + 360) % 360;
  });
  // m like hydrogens spaced 360/m apart are interchangeable: the phase repeats every 360/m.
  const elements = new Set(g.members.map((k) => mol.entries[k].element));
  const spaced = [...offsets].sort((a, b) => a - b).every((o, j) => Math.abs(o - (j * 360) / m) < 1e-9);
  const period = m >= 2 && elements.size === 1 && spaced ? 360 / m : 360;
  const phases = T.map((t) => circularMean(t.map((d, j) => d - offsets[j])));
  // The folded mode, then the one of its m images the first hydrogen sat nearest most often, so a group that does
  // not turn (an amine NH2) keeps its names and a turning one takes its most common labelling.
  const folded = modeCircularMean(phases, period);
  const images = Array.from({ length: Math.round(360 / period) }, (_, k) => folded + k * period);
  const votes = images.map((p) => phases.filter((x) => Math.abs(wrap(x - p)) < period / 2).length);
  const phase = round(images[votes.indexOf(Math.max(...votes))], 2);
  g.members.forEach((k, j) => (out[k] = phase + offsets[j]));
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
/** A dihedral as the card writes it: (-180, 180], two decimals. */
const cardDihedral = (x: number) => {
  const r = round(wrap(x), 2);
  return r === -180 ? 180 : r;
};
