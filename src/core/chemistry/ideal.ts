import { buildPeptide } from './peptide';
import { RESIDUES, type ResidueTopology } from './amino-acids';
import { angleAt, distanceAt } from '../geometry/dihedral';

/** An atom of residue i + off (off ∈ {-1, 0, +1}). */
export interface AtomRef {
  name: string;
  off: -1 | 0 | 1;
}
export interface IdealBond {
  a: AtomRef;
  b: AtomRef;
  ideal: number;
}
export interface IdealAngle {
  a: AtomRef;
  b: AtomRef; // vertex
  c: AtomRef;
  ideal: number;
}
export interface IdealGeometry {
  bonds: IdealBond[];
  angles: IdealAngle[];
}

const cache = new Map<string, IdealGeometry>();
const r0 = (name: string): AtomRef => ({ name, off: 0 });

/**
 * Ideal bonds and angles of a residue: those of the topology (intra-residue), the peptide bond
 * -C–N and the angles around it (-C–N–CA in the residue owning N; CA–C–+N and
 * O–C–+N in the residue owning C), and the C-terminal OXT bond and angles. Values are measured on
 * the residue built ideally in the middle of ALA-X-ALA (or at the C-terminus of ALA-X for OXT), so
 * ring closures carry the values the builder produces; all others equal the Engh & Huber tables.
 */
export function idealGeometry(name3: string): IdealGeometry {
  const hit = cache.get(name3);
  if (hit) return hit;
  const topo = RESIDUES[name3];
  if (!topo) throw new RangeError(`no ideal geometry for residue ${name3}`);
  const tri = buildPeptide(`A${topo.name1}A`);
  const di = buildPeptide(`A${topo.name1}`);
  const index = (s: typeof tri, resSeq: number) => {
    const m = new Map<string, number>();
    for (let i = 0; i < s.atoms.count; i++) if (s.atoms.resSeq[i] === resSeq) m.set(s.atoms.name[i], i);
    return m;
  };
  const tm = [index(tri, 1), index(tri, 2), index(tri, 3)];
  const dm = [index(di, 1), index(di, 2)];
  const at = (maps: Map<string, number>[], r: AtomRef, center: number) => {
    const i = maps[center + r.off].get(r.name);
    if (i === undefined) throw new Error(`ideal geometry: ${r.name} missing in ${name3}`);
    return i;
  };
  const bonds: IdealBond[] = [];
  const angles: IdealAngle[] = [];
  const addBond = (a: AtomRef, b: AtomRef, terminal = false) => {
    const [maps, s, c] = terminal ? [dm, di, 1] as const : [tm, tri, 1] as const;
    bonds.push({ a, b, ideal: distanceAt(s.coords, at(maps, a, c), at(maps, b, c)) });
  };
  const addAngle = (a: AtomRef, b: AtomRef, c: AtomRef, terminal = false) => {
    const [maps, s, ctr] = terminal ? [dm, di, 1] as const : [tm, tri, 1] as const;
    angles.push({ a, b, c, ideal: angleAt(s.coords, at(maps, a, ctr), at(maps, b, ctr), at(maps, c, ctr)) });
  };
  const intra = topo.bonds;
  for (const [a, b] of intra) addBond(r0(a), r0(b));
  addBond({ name: 'C', off: -1 }, r0('N'));
  // every pair of intra-residue bonds sharing an atom gives an angle
  const nb = adjacency(topo);
  for (const [v, list] of nb)
    for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) addAngle(r0(list[i]), r0(v), r0(list[j]));
  // (PRO's -C–N–CD is not checked: with a fixed ring it follows φ rather than an ideal value)
  addAngle({ name: 'C', off: -1 }, r0('N'), r0('CA'));
  addAngle(r0('CA'), r0('C'), { name: 'N', off: 1 });
  addAngle(r0('O'), r0('C'), { name: 'N', off: 1 });
  addBond(r0('C'), r0('OXT'), true);
  addAngle(r0('CA'), r0('C'), r0('OXT'), true);
  addAngle(r0('O'), r0('C'), r0('OXT'), true);
  const g = { bonds, angles };
  cache.set(name3, g);
  return g;
}

/** Intra-residue bonded neighbours by atom name. */
export function adjacency(topo: ResidueTopology): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const [a, b] of topo.bonds) {
    if (!m.has(a)) m.set(a, []);
    if (!m.has(b)) m.set(b, []);
    m.get(a)!.push(b);
    m.get(b)!.push(a);
  }
  return m;
}
