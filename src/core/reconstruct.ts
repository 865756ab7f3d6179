/**
 * Hierarchical reconstruction CG → all atoms (docs/mapping-format.md "Hierarchy rules", HEroBM `HierarchicalReconstructionModule.forward`):
 * every reconstructed atom of a bead starts on the bead; for level = 1..R the atoms of that level are set to the
 * position of their anchor read before the level's update plus their vector; level-0 atoms stay; then all
 * reconstructed atoms of the bead are shifted so that their CM (slot recentring weights) is on the bead. Atoms
 * predicted by several beads are averaged over the finite predictions (nanmean).
 *
 * Vectors are `nbeads × R × 3` (R = set.maxSlots), channel j = the bead's j-th slot (YAML order). `targetVectors`
 * computes the training targets true(atom) − true(anchor) from an all-atom structure mapped with `mapToCg`.
 */
import type { MoleculeMapping } from './mapping/types';
import type { AtomTable, Structure } from './structure/types';
import type { CgSystem } from './cg';
import { isTerminalOnly } from './forward';

interface BeadPlan {
  nslots: number;
  /** Slot indices sorted by level (stable: YAML order inside a level). */
  order: Int32Array;
  level: Int32Array;
  anchor: Int32Array;
  /** 1 when the anchor's position before this slot's level update is still the bead (self / same or higher level / level 0 anchor that never moved is handled by pos = bead). */
  anchorIsBead: Uint8Array;
  recenter: Float64Array;
  /** Local output atom index of each slot. */
  out: Int32Array;
  terminalOnly: Uint8Array;
}

interface MoleculePlan {
  /** Mapping atom indices that some bead reconstructs, in mapping file order. */
  outAtoms: number[];
  names: string[];
  elements: string[];
  terminalOnly: Uint8Array;
  beads: BeadPlan[];
}

const planCache = new WeakMap<MoleculeMapping, MoleculePlan>();

function moleculePlan(m: MoleculeMapping): MoleculePlan {
  const cached = planCache.get(m);
  if (cached) return cached;
  const has = new Uint8Array(m.atoms.length);
  for (const b of m.beads) for (const s of b.slots) has[s.atom] = 1;
  const outAtoms: number[] = [];
  const local = new Int32Array(m.atoms.length).fill(-1);
  for (let a = 0; a < m.atoms.length; a++)
    if (has[a]) {
      local[a] = outAtoms.length;
      outAtoms.push(a);
    }
  const names = outAtoms.map((a) => m.atoms[a].names[0]);
  const elements = outAtoms.map((a) => m.atoms[a].element);
  const beads: BeadPlan[] = m.beads.map((b) => {
    const n = b.slots.length;
    const idx = [...Array(n).keys()].sort((x, y) => b.slots[x].level - b.slots[y].level || x - y);
    const level = Int32Array.from(b.slots.map((s) => s.level));
    const anchor = Int32Array.from(b.slots.map((s) => s.anchor));
    const anchorIsBead = Uint8Array.from(b.slots.map((s, j) => (s.anchor === j || level[s.anchor] >= s.level ? 1 : 0)));
    return {
      nslots: n,
      order: Int32Array.from(idx),
      level,
      anchor,
      anchorIsBead,
      recenter: Float64Array.from(b.slots.map((s) => s.recenterWeight)),
      out: Int32Array.from(b.slots.map((s) => local[s.atom])),
      terminalOnly: Uint8Array.from(b.slots.map((s) => (isTerminalOnly(m.atoms[s.atom].names[0]) ? 1 : 0))),
    };
  });
  const plan: MoleculePlan = {
    outAtoms,
    names,
    elements,
    terminalOnly: Uint8Array.from(names.map((n) => (isTerminalOnly(n) ? 1 : 0))),
    beads,
  };
  planCache.set(m, plan);
  return plan;
}

/** True for residues that end a chain segment (they carry OXT). */
function cTerminal(system: CgSystem): Uint8Array {
  const res = system.residues;
  const t = new Uint8Array(res.length);
  for (let i = 0; i < res.length; i++) t[i] = i === res.length - 1 || res[i + 1].chainIndex !== res[i].chainIndex ? 1 : 0;
  return t;
}

/** Atom layout of the reconstruction: per residue, the reconstructed atoms in mapping file order (OXT only at C-termini). */
export interface ReconstructionTopology {
  count: number;
  /** residue index of each atom */
  residue: Int32Array;
  /** output atom index of (residue r, local plan atom k) = residueOffset[r] + k, or -1 when the atom is not emitted */
  residueOffset: Int32Array;
  localMap: Int32Array[]; // per residue: plan-local atom → output index (-1 none)
  names: string[];
  elements: string[];
}

const topoCache = new WeakMap<CgSystem, ReconstructionTopology>();

export function reconstructionTopology(system: CgSystem): ReconstructionTopology {
  const cached = topoCache.get(system);
  if (cached) return cached;
  const term = cTerminal(system);
  const residueOffset = new Int32Array(system.residues.length);
  const localMap: Int32Array[] = [];
  const names: string[] = [];
  const elements: string[] = [];
  const resIdx: number[] = [];
  let n = 0;
  system.residues.forEach((r, ri) => {
    const p = moleculePlan(r.molecule);
    residueOffset[ri] = n;
    const map = new Int32Array(p.outAtoms.length).fill(-1);
    for (let k = 0; k < p.outAtoms.length; k++) {
      if (p.terminalOnly[k] && !term[ri]) continue;
      map[k] = n++;
      names.push(p.names[k]);
      elements.push(p.elements[k]);
      resIdx.push(ri);
    }
    localMap.push(map);
  });
  const topo = { count: n, residue: Int32Array.from(resIdx), residueOffset, localMap, names, elements };
  topoCache.set(system, topo);
  return topo;
}

/**
 * Reconstructed coordinates in `reconstructionTopology(system)` order; NaN for atoms no bead predicted
 * (non-finite vectors). Allocation-free apart from the output (reuse `out` for trajectories).
 */
export function reconstructCoords(
  system: CgSystem,
  vectors: Float32Array | Float64Array,
  beadCoords: Float64Array | Float32Array = system.coords,
  out?: Float64Array,
): Float64Array {
  const R = system.set.maxSlots;
  const topo = reconstructionTopology(system);
  const nb = system.beads.length;
  if (vectors.length < nb * R * 3) throw new Error(`reconstruct: ${vectors.length} vector values for ${nb} beads × ${R} slots × 3`);
  if (beadCoords.length < nb * 3) throw new Error(`reconstruct: ${beadCoords.length / 3} bead positions for ${nb} beads`);
  const xyz = out ?? new Float64Array(3 * topo.count);
  xyz.fill(0);
  const cnt = new Uint16Array(topo.count);
  const pos = new Float64Array(3 * R);
  const ok = new Uint8Array(R);
  const term = cTerminal(system);
  for (let i = 0; i < nb; i++) {
    const b = system.beads[i];
    const ri = b.residue;
    const plan = moleculePlan(b.molecule).beads[b.bead];
    const map = topo.localMap[ri];
    const bx = beadCoords[3 * i];
    const by = beadCoords[3 * i + 1];
    const bz = beadCoords[3 * i + 2];
    const n = plan.nslots;
    const vb = i * R * 3;
    for (let q = 0; q < n; q++) {
      const j = plan.order[q];
      const L = plan.level[j];
      let x = bx;
      let y = by;
      let z = bz;
      if (L >= 1 && L <= R) {
        if (!plan.anchorIsBead[j]) {
          const a = plan.anchor[j];
          x = pos[3 * a];
          y = pos[3 * a + 1];
          z = pos[3 * a + 2];
        }
        x += vectors[vb + 3 * j];
        y += vectors[vb + 3 * j + 1];
        z += vectors[vb + 3 * j + 2];
      }
      pos[3 * j] = x;
      pos[3 * j + 1] = y;
      pos[3 * j + 2] = z;
      ok[j] = x === x && y === y && z === z && !(plan.terminalOnly[j] && !term[ri]) ? 1 : 0;
    }
    // Recentre on the bead with the slots' CM weights, renormalised over the atoms actually placed.
    let wx = 0;
    let wy = 0;
    let wz = 0;
    let ws = 0;
    for (let j = 0; j < n; j++)
      if (ok[j]) {
        const w = plan.recenter[j];
        wx += w * pos[3 * j];
        wy += w * pos[3 * j + 1];
        wz += w * pos[3 * j + 2];
        ws += w;
      }
    const sx = ws > 0 ? bx - wx / ws : 0;
    const sy = ws > 0 ? by - wy / ws : 0;
    const sz = ws > 0 ? bz - wz / ws : 0;
    for (let j = 0; j < n; j++) {
      if (!ok[j]) continue;
      const o = map[plan.out[j]];
      if (o < 0) continue;
      xyz[3 * o] += pos[3 * j] + sx;
      xyz[3 * o + 1] += pos[3 * j + 1] + sy;
      xyz[3 * o + 2] += pos[3 * j + 2] + sz;
      cnt[o]++;
    }
  }
  for (let o = 0; o < topo.count; o++) {
    const c = cnt[o];
    if (c === 1) continue;
    if (c === 0) xyz[3 * o] = xyz[3 * o + 1] = xyz[3 * o + 2] = NaN;
    else {
      xyz[3 * o] /= c;
      xyz[3 * o + 1] /= c;
      xyz[3 * o + 2] /= c;
    }
  }
  return xyz;
}

/**
 * Builds the all-atom structure: one atom per distinct reconstructed mapping atom (canonical name, element),
 * residue fields from the CG input, per-residue order = mapping file order; atoms no bead predicted are left out.
 */
export function reconstruct(
  system: CgSystem,
  vectors: Float32Array | Float64Array,
  beadCoords?: Float64Array | Float32Array,
  source = 'reconstruction',
): Structure {
  const topo = reconstructionTopology(system);
  const xyz = reconstructCoords(system, vectors, beadCoords ?? system.coords);
  let n = 0;
  for (let o = 0; o < topo.count; o++) if (xyz[3 * o] === xyz[3 * o]) n++;
  const atoms: AtomTable = {
    count: n,
    serial: new Int32Array(n),
    name: new Array<string>(n),
    altLoc: new Array<string>(n).fill(''),
    resName: new Array<string>(n),
    chainId: new Array<string>(n),
    resSeq: new Int32Array(n),
    iCode: new Array<string>(n),
    element: new Array<string>(n),
    occupancy: new Float32Array(n).fill(1),
    bFactor: new Float32Array(n),
    hetero: new Uint8Array(n),
    segId: new Array<string>(n).fill(''),
    sourceLine: new Int32Array(n),
  };
  const coords = new Float64Array(3 * n);
  let k = 0;
  for (let o = 0; o < topo.count; o++) {
    if (xyz[3 * o] !== xyz[3 * o]) continue;
    const r = system.residues[topo.residue[o]];
    atoms.serial[k] = k + 1;
    atoms.name[k] = topo.names[o];
    atoms.resName[k] = r.resName;
    atoms.chainId[k] = r.chainId;
    atoms.resSeq[k] = r.resSeq;
    atoms.iCode[k] = r.iCode;
    atoms.element[k] = topo.elements[o];
    coords[3 * k] = xyz[3 * o];
    coords[3 * k + 1] = xyz[3 * o + 1];
    coords[3 * k + 2] = xyz[3 * o + 2];
    k++;
  }
  return { source, title: '', atoms, coords, models: [coords], box: system.box ?? null };
}

/**
 * Training targets: for bead i and slot j, true(atom) − true(anchor) from `aaCoords` (the structure mapped with
 * `mapToCg`, whose `slotAtoms` gives the atoms); NaN where either atom is absent and for unused channels.
 */
export function targetVectors(system: CgSystem, aaCoords: Float64Array | Float32Array, slotAtoms: Int32Array): Float32Array {
  const R = system.set.maxSlots;
  const nb = system.beads.length;
  if (slotAtoms.length !== nb * R) throw new Error(`targetVectors: slotAtoms has ${slotAtoms.length} entries for ${nb} beads × ${R}`);
  const v = new Float32Array(nb * R * 3).fill(NaN);
  for (let i = 0; i < nb; i++) {
    const b = system.beads[i];
    const slots = b.molecule.beads[b.bead].slots;
    for (let j = 0; j < slots.length; j++) {
      const a = slotAtoms[i * R + j];
      const c = slotAtoms[i * R + slots[j].anchor];
      if (a < 0 || c < 0) continue;
      const o = (i * R + j) * 3;
      v[o] = aaCoords[3 * a] - aaCoords[3 * c];
      v[o + 1] = aaCoords[3 * a + 1] - aaCoords[3 * c + 1];
      v[o + 2] = aaCoords[3 * a + 2] - aaCoords[3 * c + 2];
    }
  }
  return v;
}
