/**
 * Lipids and sterols of the chemistry table: CHARMM36 residue names, heavy atoms (CHARMM order), elements, covalent
 * heavy-atom bonds and the hydrogens on each heavy atom (canonical CHARMM36 name first, then names other CHARMM36
 * builds use), so mapping files can list every atom and the metrics and templates know the bond graph.
 *
 * Sources (facts, not files copied):
 *  - CHARMM36 all-atom structures in ../shared/data/raw/membranes (OpenMM 7 lipid bilayers of POPC, POPE, DOPC,
 *    DPPC, DMPC, DLPC, DLPE; NMRlipids CHARMM36 POPC and POPC/cholesterol bilayers) for atom names, order and bonds;
 *    `test/core/chemistry/lipids.test.ts` checks every listed bond against them (≤ 1.9 Å).
 *  - CG2AT fragments `martini_3-0_charmm36/non_protein/{DMPS,POPG,CHOL}` (../shared/data/mappings/cg2at_fragments)
 *    for the phosphatidylserine and phosphatidylglycerol head-group names (no all-atom POPS/POPG is stored here).
 * A phospholipid is composed of a head group, the glycerol-phosphate backbone and two acyl chains: sn-2 atoms are
 * C2<k> (hydrogens H<k>R/H<k>S), sn-1 atoms C3<k> (H<k>X/H<k>Y), k = 1 the ester carbon, as CHARMM36 names them.
 */
import type { Bond } from './bonds';

export type LipidKind = 'lipid' | 'sterol';

/** An acyl chain: carbon count and the positions k of its double bonds (C<k>=C<k+1>). */
export interface AcylChain {
  code: string; // one-letter lipidomics code: P palmitoyl, O oleoyl, M myristoyl, L lauroyl
  carbons: number;
  doubleBonds: readonly number[];
}

export interface LipidHydrogen {
  names: string[];
  parent: string;
}

export interface LipidTopology {
  kind: LipidKind;
  /** CHARMM36 residue name (CHARMM-GUI writes it). */
  name: string;
  description: string;
  /** Heavy atoms in CHARMM36 order. */
  atoms: string[];
  elements: string[];
  bonds: Bond[];
  hydrogens: LipidHydrogen[];
  /** Head-group class (`PC`, `PE`, `PS`, `PG`) and acyl chains of a phospholipid. */
  headGroup?: 'PC' | 'PE' | 'PS' | 'PG';
  sn1?: AcylChain;
  sn2?: AcylChain;
  /** Other residue names of the same molecule (Martini writes CHOL for CHARMM36's CHL1). */
  aliases: string[];
}

export const ACYL_CHAINS = {
  P: { code: 'P', carbons: 16, doubleBonds: [] },
  O: { code: 'O', carbons: 18, doubleBonds: [9] },
  M: { code: 'M', carbons: 14, doubleBonds: [] },
  L: { code: 'L', carbons: 12, doubleBonds: [] },
} as const satisfies Record<string, AcylChain>;

interface Part {
  atoms: string[];
  bonds: Bond[];
  hydrogens: LipidHydrogen[];
}
const h = (parent: string, ...names: (string | string[])[]): LipidHydrogen[] =>
  names.map((n) => ({ names: Array.isArray(n) ? n : [n], parent }));

const HEAD_GROUPS: Record<'PC' | 'PE' | 'PS' | 'PG', Part> = {
  PC: {
    atoms: ['N', 'C12', 'C13', 'C14', 'C15', 'C11'],
    bonds: [['N', 'C12'], ['N', 'C13'], ['N', 'C14'], ['N', 'C15'], ['C12', 'C11'], ['C11', 'O12']],
    hydrogens: [...h('C12', 'H12A', 'H12B'), ...h('C13', 'H13A', 'H13B', 'H13C'), ...h('C14', 'H14A', 'H14B', 'H14C'), ...h('C15', 'H15A', 'H15B', 'H15C'), ...h('C11', 'H11A', 'H11B')],
  },
  PE: {
    atoms: ['N', 'C12', 'C11'],
    bonds: [['N', 'C12'], ['C12', 'C11'], ['C11', 'O12']],
    hydrogens: [...h('N', 'HN1', 'HN2', 'HN3'), ...h('C12', 'H12A', 'H12B'), ...h('C11', 'H11A', 'H11B')],
  },
  PS: {
    atoms: ['N', 'C12', 'C13', 'O13A', 'O13B', 'C11'],
    bonds: [['N', 'C12'], ['C12', 'C13'], ['C13', 'O13A'], ['C13', 'O13B'], ['C12', 'C11'], ['C11', 'O12']],
    hydrogens: [...h('N', 'HN1', 'HN2', 'HN3'), ...h('C12', 'H12A'), ...h('C11', 'H11A', 'H11B')],
  },
  PG: {
    atoms: ['C13', 'OC3', 'C12', 'OC2', 'C11'],
    bonds: [['C13', 'OC3'], ['C13', 'C12'], ['C12', 'OC2'], ['C12', 'C11'], ['C11', 'O12']],
    hydrogens: [...h('C13', 'H13A', 'H13B'), ...h('OC3', 'HO3'), ...h('C12', 'H12A'), ...h('OC2', 'HO2'), ...h('C11', 'H11A', 'H11B')],
  },
};

/** Phosphate and glycerol: P O13 O14 O12 O11, C1 C2 (O21 C21 O22 belong to the sn-2 ester), C3 (O31 C31 O32). */
const BACKBONE: Part = {
  atoms: ['P', 'O13', 'O14', 'O12', 'O11', 'C1', 'C2', 'O21', 'C21', 'O22'],
  bonds: [['O12', 'P'], ['P', 'O13'], ['P', 'O14'], ['P', 'O11'], ['O11', 'C1'], ['C1', 'C2'], ['C2', 'O21'], ['O21', 'C21'], ['C21', 'O22'], ['C2', 'C3'], ['C3', 'O31'], ['O31', 'C31'], ['C31', 'O32']],
  hydrogens: [...h('C1', 'HA', 'HB'), ...h('C2', 'HS')],
};

/**
 * Carbons 2..n of an acyl chain (`sn` 2 or 3 is the name prefix); C<sn>1, the ester carbon, is in the backbone.
 * Hydrogen names: CHARMM36 R/S (sn-2) and X/Y (sn-1), Z/T on the terminal methyl; a double-bond carbon carries
 * one hydrogen (H91/H101 on sn-2, H9X/H10X on sn-1; some builds write H9R/H10R).
 */
function acylCarbons(sn: 2 | 3, chain: AcylChain): Part {
  const [a, b, t] = sn === 2 ? ['R', 'S', 'T'] : ['X', 'Y', 'Z'];
  const c = (k: number) => `C${sn}${k}`;
  const atoms: string[] = [];
  const bonds: Bond[] = [[c(1), c(2)]];
  const hydrogens: LipidHydrogen[] = [];
  const sp2 = new Set(chain.doubleBonds.flatMap((k) => [k, k + 1]));
  for (let k = 2; k <= chain.carbons; k++) {
    atoms.push(c(k));
    if (k > 2) bonds.push([c(k - 1), c(k)]);
    if (sp2.has(k)) hydrogens.push({ names: sn === 2 ? [`H${k}1`, `H${k}${a}`] : [`H${k}${a}`, `H${k}1`], parent: c(k) });
    else if (k === chain.carbons) hydrogens.push(...h(c(k), `H${k}${a}`, `H${k}${b}`, `H${k}${t}`));
    else hydrogens.push(...h(c(k), `H${k}${a}`, `H${k}${b}`));
  }
  return { atoms, bonds, hydrogens };
}

const LIPID_NAMES: Record<string, string> = { P: 'palmitoyl', O: 'oleoyl', M: 'myristoyl', L: 'lauroyl' };
const HEAD_NAMES = { PC: 'phosphatidylcholine', PE: 'phosphatidylethanolamine', PS: 'phosphatidylserine', PG: 'phosphatidylglycerol' };

function phospholipid(name: string, head: 'PC' | 'PE' | 'PS' | 'PG', sn1: AcylChain, sn2: AcylChain): LipidTopology {
  const hg = HEAD_GROUPS[head];
  const s2 = acylCarbons(2, sn2);
  const s1 = acylCarbons(3, sn1);
  // CHARMM order: head, phosphate, C1 C2 O21 C21 O22 C22, C3 O31 C31 O32 C32, then C23… and C33…
  const atoms = [...hg.atoms, ...BACKBONE.atoms, 'C22', 'C3', 'O31', 'C31', 'O32', 'C32', ...s2.atoms.slice(1), ...s1.atoms.slice(1)];
  const hydrogens = [...hg.hydrogens, ...BACKBONE.hydrogens, ...s2.hydrogens.slice(0, 2), ...h('C3', 'HX', 'HY'), ...s1.hydrogens.slice(0, 2), ...s2.hydrogens.slice(2), ...s1.hydrogens.slice(2)];
  const same = sn1.code === sn2.code;
  return {
    kind: 'lipid',
    name,
    description: `1,2-${same ? `di${LIPID_NAMES[sn1.code]}` : `${LIPID_NAMES[sn1.code]}-2-${LIPID_NAMES[sn2.code]}`}-sn-glycero-3-${HEAD_NAMES[head]}`,
    atoms,
    elements: atoms.map((a) => a[0]),
    bonds: [...hg.bonds, ...BACKBONE.bonds, ...s2.bonds, ...s1.bonds],
    hydrogens,
    headGroup: head,
    sn1,
    sn2,
    aliases: [],
  };
}

const CHL1_ATOMS = ['C3', 'O3', 'C4', 'C5', 'C6', 'C7', 'C8', 'C14', 'C15', 'C16', 'C17', 'C13', 'C18', 'C12', 'C11', 'C9', 'C10', 'C19', 'C1', 'C2', 'C20', 'C21', 'C22', 'C23', 'C24', 'C25', 'C26', 'C27'];
const CHL1_BONDS: Bond[] = [
  ['C3', 'O3'], ['C3', 'C4'], ['C4', 'C5'], ['C5', 'C6'], ['C6', 'C7'], ['C7', 'C8'], ['C8', 'C14'], ['C14', 'C15'], ['C15', 'C16'],
  ['C16', 'C17'], ['C17', 'C13'], ['C13', 'C14'], ['C13', 'C18'], ['C13', 'C12'], ['C12', 'C11'], ['C11', 'C9'], ['C9', 'C8'],
  ['C9', 'C10'], ['C10', 'C5'], ['C10', 'C19'], ['C10', 'C1'], ['C1', 'C2'], ['C2', 'C3'], ['C17', 'C20'], ['C20', 'C21'],
  ['C20', 'C22'], ['C22', 'C23'], ['C23', 'C24'], ['C24', 'C25'], ['C25', 'C26'], ['C25', 'C27'],
];
const CHL1_H: LipidHydrogen[] = [
  { names: ["H3'", 'HO3'], parent: 'O3' }, ...h('C3', 'H3'), ...h('C4', 'H4A', 'H4B'), ...h('C6', 'H6'), ...h('C7', 'H7A', 'H7B'), ...h('C8', 'H8'),
  ...h('C14', 'H14'), ...h('C15', 'H15A', 'H15B'), ...h('C16', 'H16A', 'H16B'), ...h('C17', 'H17'), ...h('C18', 'H18A', 'H18B', 'H18C'),
  ...h('C12', 'H12A', 'H12B'), ...h('C11', 'H11A', 'H11B'), ...h('C9', 'H9'), ...h('C19', 'H19A', 'H19B', 'H19C'), ...h('C1', 'H1A', 'H1B'),
  ...h('C2', 'H2A', 'H2B'), ...h('C20', 'H20'), ...h('C21', 'H21A', 'H21B', 'H21C'), ...h('C22', 'H22A', 'H22B'), ...h('C23', 'H23A', 'H23B'),
  ...h('C24', 'H24A', 'H24B'), ...h('C25', 'H25'), ...h('C26', 'H26A', 'H26B', 'H26C'), ...h('C27', 'H27A', 'H27B', 'H27C'),
];

const { P, O, M, L } = ACYL_CHAINS;
const LIST: LipidTopology[] = [
  phospholipid('POPC', 'PC', P, O),
  phospholipid('POPE', 'PE', P, O),
  phospholipid('POPS', 'PS', P, O),
  phospholipid('POPG', 'PG', P, O),
  phospholipid('DOPC', 'PC', O, O),
  phospholipid('DPPC', 'PC', P, P),
  phospholipid('DMPC', 'PC', M, M),
  phospholipid('DLPC', 'PC', L, L),
  phospholipid('DLPE', 'PE', L, L),
  {
    kind: 'sterol',
    name: 'CHL1',
    description: 'cholesterol',
    atoms: CHL1_ATOMS,
    elements: CHL1_ATOMS.map((a) => a[0]),
    bonds: CHL1_BONDS,
    hydrogens: CHL1_H,
    aliases: ['CHOL', 'CHL'],
  },
];

/** Lipids and sterols by CHARMM36 residue name. */
export const LIPIDS: Readonly<Record<string, LipidTopology>> = Object.fromEntries(LIST.map((l) => [l.name, l]));

const BY_ALIAS = new Map<string, LipidTopology>(LIST.flatMap((l) => [[l.name, l] as const, ...l.aliases.map((a) => [a, l] as const)]));

/** The lipid or sterol of a residue name (CHARMM36 name or an alias such as Martini's CHOL); undefined otherwise. */
export function lipidTopology(resName: string): LipidTopology | undefined {
  return BY_ALIAS.get(resName);
}

/** Double bonds outside the acyl chains (the sterol's ring C5=C6); the chains' come from `sn1`/`sn2`. */
const STEROL_DOUBLE_BONDS: Readonly<Record<string, readonly Bond[]>> = { CHL1: [['C5', 'C6']] };

/** Every C=C of a lipid or sterol: the acyl chains' (C<sn><k>=C<sn><k+1>) and the sterol ring's. */
export function lipidDoubleBonds(l: LipidTopology): Bond[] {
  const chain = (sn: 2 | 3, c?: AcylChain): Bond[] => (c?.doubleBonds ?? []).map((k) => [`C${sn}${k}`, `C${sn}${k + 1}`]);
  return [...chain(3, l.sn1), ...chain(2, l.sn2), ...(STEROL_DOUBLE_BONDS[l.name] ?? [])];
}

/**
 * Which hydrogen of a CH2, CH3 or NH3+ is which, as the CHARMM36 bilayers in ../shared/data/raw/membranes name them
 * (CHARMM-GUI builds: OpenMM's seven bilayers, NMRlipids POPC and POPC/cholesterol; measured over every molecule).
 * With a carrier's heavy neighbours in `atoms` order (a, b): a CH2's first hydrogen in `hydrogens` order sits at
 * −120° from b about a→carrier (the second at +120°); a CH3's or NH3+'s hydrogens follow each other in −120° steps of
 * the torsion about the bond to their one neighbour; the carriers listed here go the other way (+120°). Every CH2 of
 * every phospholipid (head group, glycerol, both chains) follows the rule; the exceptions are the cyclic order of a
 * few methyls and of POPE's NH3+, and three cholesterol ring CH2. The structures are not unanimous: 97–100 % of the
 * CH2 pairs of each bilayer are named so (74–100 % at a single carrier), except OpenMM's DOPC, whose sn-1 chain is
 * labelled either way about as often (78 % overall); the NMRlipids 20 % cholesterol bilayer labels eight cholesterol
 * CH2 the other way round from the 50 % one, which is followed here. POPS and POPG (no all-atom bilayer here) follow
 * the rule.
 */
export const HYDROGEN_HAND_FLIPPED: Readonly<Record<string, readonly string[]>> = {
  POPC: ['C13', 'C14'],
  DOPC: ['C13', 'C14', 'C318'],
  POPE: ['N'],
  CHL1: ['C18', 'C12', 'C11', 'C19', 'C2', 'C26', 'C27'],
};

/**
 * Hydrogen names of CHARMM36 that are not the first of the table's names: DOPC's sn-2 double-bond hydrogens are
 * H9R/H10R in its residue topology (OpenMM's charmm36.xml, the CG2AT CHARMM36 fragments and the OpenMM DOPC bilayer
 * agree), where POPC and POPE have H91/H101.
 */
export const CHARMM36_HYDROGEN_NAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  DOPC: { H91: 'H9R', H101: 'H10R' },
};
