/**
 * Which atoms of a mapping's molecule are covalently bonded, as far as the server can tell: the chemistry table's
 * residue topology (heavy atoms of the amino acids and their variants), else the reference structure's first residue
 * of that name (distance within the covalent radii + 0.4 Å, as *Complete hierarchy* does). `undefined` means nobody
 * knows: quick fixes never guess an anchor then (docs/mapping-format.md, "Hierarchy rules").
 */
import { COVALENT_RADIUS, TERMINAL_OXYGEN_NAMES, atomNames, protonationParent, residueBonds, residueVariant } from '../core/chemistry';
import { cgmapAtomName } from '../core/mapping/load';
import type { Structure } from '../core/structure/types';

/** true = bonded, false = known not bonded, undefined = unknown. Arguments: the alternative names of each atom. */
export type BondOracle = (a: readonly string[], b: readonly string[]) => boolean | undefined;

/** Where the answer of a BondOracle comes from, for titles and logs. */
export interface BondKnowledge {
  bonded: BondOracle;
  /** 'chemistry' (residue topology), 'reference' (reference structure) or '' (nothing known). */
  sources: string[];
}

const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

/** Heavy-atom bonds of `molecule` from the chemistry table, keyed by canonical names; null when unknown. */
function topologyBonds(molecule: string): { canonical: Map<string, string>; pairs: Set<string> } | null {
  const bonds = residueBonds(molecule);
  if (!bonds) return null;
  const parent = protonationParent(molecule) ?? residueVariant(molecule)?.parent ?? molecule;
  const canonical = new Map<string, string>();
  const pairs = new Set<string>();
  const add = (x: string) => { if (!canonical.has(x)) { canonical.set(x, x); for (const alt of atomNames(parent, x)) if (!canonical.has(alt)) canonical.set(alt, x); } };
  for (const [a, b] of bonds) { add(a); add(b); pairs.add(pairKey(a, b)); }
  // The terminal carboxylate: C–OXT is not in the residue lists (they describe chain residues).
  if (canonical.has('C')) {
    for (const n of TERMINAL_OXYGEN_NAMES.OXT) if (!canonical.has(n)) canonical.set(n, 'OXT');
    pairs.add(pairKey('C', 'OXT'));
  }
  return { canonical, pairs };
}

/** Heavy and hydrogen atoms of the first residue named `molecule` in `reference`, bonded by distance. */
function referenceBonds(molecule: string, reference: Structure): BondOracle | null {
  const a = reference.atoms;
  let start = -1;
  for (let i = 0; i < a.count; i++) if (a.resName[i] === molecule) { start = i; break; }
  if (start < 0) return null;
  let end = start + 1;
  while (end < a.count && a.resName[end] === molecule && a.resSeq[end] === a.resSeq[start] && a.chainId[end] === a.chainId[start] && a.iCode[end] === a.iCode[start]) end++;
  const index = new Map<string, number>();
  for (let i = start; i < end; i++) if (!index.has(cgmapAtomName(a.name[i]))) index.set(cgmapAtomName(a.name[i]), i);
  const find = (names: readonly string[]) => { for (const n of names) { const i = index.get(n); if (i !== undefined) return i; } return -1; };
  const element = (i: number) => (a.element[i] || a.name[i].replace(/^\d+/, '').slice(0, 1)).toUpperCase();
  const c = reference.coords;
  return (x, y) => {
    const i = find(x);
    const j = find(y);
    if (i < 0 || j < 0) return undefined;
    const d = Math.hypot(c[3 * i] - c[3 * j], c[3 * i + 1] - c[3 * j + 1], c[3 * i + 2] - c[3 * j + 2]);
    return d < (COVALENT_RADIUS[element(i)] ?? 0.8) + (COVALENT_RADIUS[element(j)] ?? 0.8) + 0.4;
  };
}

/** What is known about the bonds of `molecule`: the chemistry table first, then the reference structure. */
export function bondKnowledge(molecule: string | null, reference?: Structure | null): BondKnowledge {
  if (!molecule) return { bonded: () => undefined, sources: [] };
  const topo = topologyBonds(molecule);
  const ref = reference ? referenceBonds(molecule, reference) : null;
  const sources = [...(topo ? ['chemistry'] : []), ...(ref ? ['reference'] : [])];
  const canon = (names: readonly string[]) => { for (const n of names) { const c = topo?.canonical.get(n); if (c) return c; } return undefined; };
  return {
    sources,
    bonded: (x, y) => {
      const cx = canon(x);
      const cy = canon(y);
      if (topo && cx && cy) return cx !== cy && topo.pairs.has(pairKey(cx, cy));
      return ref ? ref(x, y) : undefined;
    },
  };
}
