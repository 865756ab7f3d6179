/**
 * Hydrogens of the lipids and sterols of the chemistry table (`chemistry/lipids.ts`) as placement groups for
 * `hydrogens.ts`, derived from the table's topology rather than written out per molecule: per heavy atom that
 * carries hydrogens, its hybridisation from the bond graph (sp2 for the C=C of the acyl chains and the sterol ring,
 * sp3 otherwise), the groups of `chemistry/hydrogens.ts` (`tetrahedral` CH and CH2, `planar` =CH–, `rotor` CH3,
 * NH3+ and OH), CHARMM36 bond lengths and the CHARMM36 names, with which of two or three hydrogens is which taken
 * from `HYDROGEN_HAND_FLIPPED`.
 *
 * Bond lengths: the CHARMM36 lipid equilibrium values (Klauda et al. 2010, J Phys Chem B 114:7830; the
 * par_all36_lipid types), which the CHARMM36 bilayers in ../shared/data/raw/membranes reproduce as mean lengths
 * (test/core/hydrogens/lipids.test.ts): sp3 C–H 1.111 Å (HAL1-3), =C–H 1.100 Å (HEL1), C–H on a carbon bonded to
 * the choline N+ 1.080 Å (HL), N–H of NH3+ 1.040 Å (HCL), O–H 0.960 Å (HOL). Angles: tetrahedral 109.5°, C–O–H
 * 106° (HOL-OHL-CTL1), =C–H on the exterior bisector.
 */
import {
  CHARMM36_HYDROGEN_NAMES,
  HYDROGEN_HAND_FLIPPED,
  lipidDoubleBonds,
  lipidTopology,
  type LipidTopology,
} from './chemistry/lipids';
import { TETRAHEDRAL, type HydrogenGroup } from './chemistry/hydrogens';

/** X–H bond lengths (Å), CHARMM36 lipids. */
export const LIPID_H_BOND = { sp3: 1.111, sp2: 1.1, choline: 1.08, ammonium: 1.04, hydroxyl: 0.96 } as const;
/** C–O–H of a hydroxyl (degrees). */
export const HYDROXYL_ANGLE = 106;
/** Staggered torsions of a hydroxyl hydrogen (anti first). */
const STAGGERED = [180, 60, -60] as const;

export interface LipidHydrogenPlan {
  topology: LipidTopology;
  /** The heavy atoms (the table's atoms), by name. */
  heavy: readonly string[];
  /** Placement groups, one per carrier, in the order of the table's hydrogens. Names are the output names. */
  groups: HydrogenGroup[];
  /** Output names of each carrier's hydrogens, in the table's order (the order they are written in). */
  byCarrier: ReadonlyMap<string, readonly string[]>;
}

const cache = new Map<string, LipidHydrogenPlan>();

/**
 * The hydrogen placement plan of a lipid or sterol residue name (CHARMM36 name or alias), undefined when the
 * chemistry table does not know it. Throws when the table gives a carrier a combination of hydrogens and heavy
 * neighbours no rule places (a table error, caught by the tests).
 */
export function lipidHydrogenPlan(resName: string): LipidHydrogenPlan | undefined {
  const l = lipidTopology(resName);
  if (!l) return undefined;
  let plan = cache.get(l.name);
  if (!plan) {
    plan = buildPlan(l);
    cache.set(l.name, plan);
  }
  return plan;
}

function buildPlan(l: LipidTopology): LipidHydrogenPlan {
  const index = new Map(l.atoms.map((a, k) => [a, k]));
  const element = new Map(l.atoms.map((a, k) => [a, l.elements[k]]));
  const neighbours = new Map<string, string[]>(l.atoms.map((a) => [a, []]));
  for (const [a, b] of l.bonds) {
    neighbours.get(a)!.push(b);
    neighbours.get(b)!.push(a);
  }
  for (const list of neighbours.values()) list.sort((x, y) => index.get(x)! - index.get(y)!);
  const sp2 = new Set(lipidDoubleBonds(l).flat());
  const flipped = new Set(HYDROGEN_HAND_FLIPPED[l.name] ?? []);
  const rename = CHARMM36_HYDROGEN_NAMES[l.name] ?? {};

  const byCarrier = new Map<string, string[]>();
  for (const h of l.hydrogens) {
    const name = rename[h.names[0]] ?? h.names[0];
    const list = byCarrier.get(h.parent);
    if (list) list.push(name);
    else byCarrier.set(h.parent, [name]);
  }
  // a carbon bonded to a quaternary N (the choline's C12-C15)
  const onCholine = (x: string) => neighbours.get(x)!.some((n) => element.get(n) === 'N' && neighbours.get(n)!.length === 4);

  const groups: HydrogenGroup[] = [];
  for (const [on, names] of byCarrier) {
    const nb = neighbours.get(on)!;
    const e = element.get(on);
    const where = `${l.name} ${on}`;
    // CH2: the table's first name at -120° from nb[1] about nb[0]→on, i.e. +120° from nb[0] about nb[1]→on (the
    // group's convention); flipped carriers the other way round
    const hand = (a: string, b: string) => (flipped.has(on) ? [a, b] : [b, a]);
    // CH3/NH3+: the group puts names[m] at torsion + 120°·m; the table's names run at -120° steps unless flipped
    const cyclic = (n: readonly string[]) => (flipped.has(on) ? [...n] : [n[0], n[2], n[1]]);
    if (e === 'C') {
      const bond = sp2.has(on) ? LIPID_H_BOND.sp2 : onCholine(on) ? LIPID_H_BOND.choline : LIPID_H_BOND.sp3;
      if (names.length === 1 && nb.length === 3 && !sp2.has(on)) groups.push({ names, on, geometry: 'tetrahedral', from: nb, bond, angle: TETRAHEDRAL });
      else if (names.length === 1 && nb.length === 2 && sp2.has(on)) groups.push({ names, on, geometry: 'planar', from: nb, bond, angle: 120 });
      else if (names.length === 2 && nb.length === 2 && !sp2.has(on)) groups.push({ names, on, geometry: 'tetrahedral', from: hand(nb[0], nb[1]), bond, angle: TETRAHEDRAL });
      else if (names.length === 3 && nb.length === 1) groups.push({ names: cyclic(names), on, geometry: 'rotor', from: [nb[0], refOf(nb[0], on, neighbours, where)], bond, angle: TETRAHEDRAL, torsions: [180] });
      else throw new Error(`lipid table: no hydrogen placement for ${names.length} H on ${where} (${sp2.has(on) ? 'sp2' : 'sp3'}, ${nb.length} heavy neighbours)`);
    } else if (e === 'N' && names.length === 3 && nb.length === 1) {
      groups.push({ names: cyclic(names), on, geometry: 'rotor', from: [nb[0], refOf(nb[0], on, neighbours, where)], bond: LIPID_H_BOND.ammonium, angle: TETRAHEDRAL, torsions: [180], polar: true });
    } else if (e === 'O' && names.length === 1 && nb.length === 1) {
      groups.push({ names, on, geometry: 'rotor', from: [nb[0], refOf(nb[0], on, neighbours, where)], bond: LIPID_H_BOND.hydroxyl, angle: HYDROXYL_ANGLE, torsions: STAGGERED, polar: true });
    } else throw new Error(`lipid table: no hydrogen placement for ${names.length} H on ${where} (element ${e}, ${nb.length} heavy neighbours)`);
  }
  return { topology: l, heavy: l.atoms, groups, byCarrier };
}

/** The reference atom of a rotor's torsion: the first other neighbour (in table order) of the atom it hangs on. */
function refOf(nb: string, on: string, neighbours: ReadonlyMap<string, readonly string[]>, where: string): string {
  const ref = neighbours.get(nb)!.find((x) => x !== on);
  if (!ref) throw new Error(`lipid table: ${where} hangs on ${nb}, which has no other heavy neighbour to set its torsion from`);
  return ref;
}
