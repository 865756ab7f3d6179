/**
 * Martini 3 mappings of the lipids and sterols of the chemistry table (src/core/chemistry/lipids.ts), written into
 * the bundled `martini3` set beside the proteins, and the older 8-bead cholesterol as its own set `martini3-chol8`.
 *
 * Bead membership (CHARMM36 heavy atoms) follows the Martini 3 lipidome as CG2AT maps CHARMM36 onto it
 * (../shared/data/mappings/cg2at_fragments/martini_3-0_charmm36/non_protein/<LIPID>/<LIPID>.pdb): head bead NC3
 * (PC), NH3 (PE), CNO (PS), GL0 (PG); PO4; GL1, GL2; tail beads C1A… (sn-2) and C1B… (sn-1), D for a bead holding a
 * double bond, 4 tail beads for 16–18 carbons and 3 for 12–14. Cholesterol: the 9-bead Martini 3 sterol model
 * (Borges-Araújo et al., JCTC 2023, ../shared/data/mappings/m3_sterols/martini_v3.0_sterols_v1.0.itp: ROH, R1–R6,
 * C1, C2; ROH and R3–R6 are virtual sites there) and the older 8-bead model (CG2AT's CHOL fragments: C19 inside R1,
 * no R6).
 *
 * The 9-bead atom lists are OUR FIT, not a published table (the itp and its README give none): the model's rigid
 * beads built from the itp (R1–R2–C1 from the constraint lengths, ROH and R3–R6 from the virtual sites; equal to the
 * CHOL beads GROMACS wrote in test/fixtures/martini3-bilayer within 0.004 Å), superposed on the mapped centres of
 * the 52 training-leaflet CHARMM36 cholesterols of the NMRlipids POPC/cholesterol bilayers, and the contiguous
 * assignment (every heavy atom in one bead, 1–5 per bead) with the smallest rms kept; `node --import tsx
 * mappings/cholesterol-fit.ts` repeats the search. Rms over the 8 rigid beads (training / held-out leaflet): this
 * assignment 0.45 / 0.44 Å; the earlier table (R1 = ring A, R2 = C6–C8, R3 = C9 C11 C12, R4 = ring D + C13,
 * R5 = C18, R6 = C19) 3.10 / 3.11 Å; that table with R5/R6 swapped 2.18 / 2.18 Å. The Martini bead sizes as
 * heavy-atom counts (regular 4, small 3, tiny 2) fit no better than 1.37 Å. What is left is mostly scale: the
 * model's beads sit about 5 % further apart than mapped CHARMM36 cholesterol (best isotropic scale 1.05, 0.41 Å).
 *
 * Project choices, not upstream facts:
 *  - Weights: heavy atoms by mass (CGmap default); hydrogens are members with `!` (weight 0), so a file with or
 *    without hydrogens maps to the same beads.
 *  - R (atoms rebuilt per bead) is 5 for the whole set (the protein beads; the shipped protein model predicts 5
 *    slots), and some Martini beads hold 6 heavy atoms (NC3, CNO, GL1; R1 of the 8-bead sterol). Each such bead
 *    hands one boundary atom to a bonded neighbour bead along the shortest path to a bead with room (the atom then
 *    counts for, and is rebuilt by, that bead only: weights and rules stay the same set, so no bead is pulled off
 *    its rebuilt atoms). The files list the result; `lipidBeads()` is the one place that decides it.
 *  - Hierarchy: the root is the bead's most central atom (bond-graph centre), and every other atom hangs on the
 *    already placed atom of the same bead that is nearest in the molecule's bond graph (a bonded one where the
 *    bead is connected), so levels grow outward from the bead centre.
 */
import type { Bond } from '../src/core/chemistry/bonds';
import { LIPIDS, type AcylChain, type LipidTopology } from '../src/core/chemistry/lipids';

/** The most atoms with a rule in one bead: R of the martini3 set (its protein beads). */
export const MAX_RULED = 5;

const HEAD_BEADS: Record<string, [string, string[]]> = {
  PC: ['NC3', ['N', 'C12', 'C13', 'C14', 'C15', 'C11']],
  PE: ['NH3', ['N', 'C12', 'C11']],
  PS: ['CNO', ['N', 'C12', 'C13', 'O13A', 'O13B', 'C11']],
  PG: ['GL0', ['C13', 'OC3', 'C12', 'OC2', 'C11']],
};
/** Carbon ranges (inclusive) of the tail beads of each acyl chain; carbon 2 belongs to GL1/GL2. */
const TAIL_BEADS: Record<string, [number, number][]> = {
  P: [[3, 6], [7, 10], [11, 13], [14, 16]],
  O: [[3, 7], [8, 11], [12, 14], [15, 18]],
  M: [[3, 6], [7, 10], [11, 14]],
  L: [[3, 5], [6, 9], [10, 12]],
};

function tailBeads(sn: 2 | 3, chain: AcylChain): [string, string[]][] {
  const side = sn === 2 ? 'A' : 'B';
  return TAIL_BEADS[chain.code].map(([a, b], i) => {
    const atoms: string[] = [];
    for (let k = a; k <= b; k++) atoms.push(`C${sn}${k}`);
    const dbl = chain.doubleBonds.some((k) => k >= a && k <= b);
    return [`${dbl ? 'D' : 'C'}${i + 1}${side}`, atoms];
  });
}

/**
 * The 9-bead cholesterol: OUR fit to the model's bead geometry (mappings/cholesterol-fit.ts; see the file header),
 * not a published atom list. R5 is the C19 methyl (on C10, head end), R6 the C18 methyl (on C13, tail end).
 */
const CHOLESTEROL9: readonly (readonly [string, readonly string[]])[] = [
  ['ROH', ['C3', 'O3', 'C4', 'C5']],
  ['R1', ['C6', 'C7']],
  ['R2', ['C8', 'C9', 'C10', 'C1', 'C2']],
  ['R3', ['C14', 'C15', 'C16']],
  ['R4', ['C13', 'C12', 'C11']],
  ['R5', ['C19']],
  ['R6', ['C18']],
  ['C1', ['C17', 'C20', 'C21', 'C22', 'C23']],
  ['C2', ['C24', 'C25', 'C26', 'C27']],
];

/** Martini 3 bead partition (upstream membership, before the R limit is applied), beads in Martini order. */
export function martiniPartition(lipid: LipidTopology, model: 'cholesterol9' | 'cholesterol8' = 'cholesterol9'): [string, string[]][] {
  if (lipid.kind === 'sterol') {
    if (model === 'cholesterol9') return CHOLESTEROL9.map(([b, atoms]) => [b, [...atoms]]);
    return [
      ['ROH', ['C3', 'O3']],
      ['R1', ['C1', 'C2', 'C4', 'C5', 'C10', 'C19']],
      ['R2', ['C6', 'C7', 'C8']],
      ['R3', ['C9', 'C11', 'C12']],
      ['R4', ['C13', 'C14', 'C15', 'C16', 'C17']],
      ['R5', ['C18']],
      ['C1', ['C20', 'C21', 'C22', 'C23']],
      ['C2', ['C24', 'C25', 'C26', 'C27']],
    ];
  }
  return [
    HEAD_BEADS[lipid.headGroup!],
    ['PO4', ['P', 'O13', 'O14', 'O12', 'O11']],
    ['GL1', ['C1', 'C2', 'O21', 'C21', 'O22', 'C22']],
    ['GL2', ['C3', 'O31', 'C31', 'O32', 'C32']],
    ...tailBeads(2, lipid.sn2!),
    ...tailBeads(3, lipid.sn1!),
  ];
}

function adjacency(atoms: string[], bonds: readonly Bond[]): Map<string, string[]> {
  const adj = new Map<string, string[]>(atoms.map((a) => [a, []]));
  for (const [a, b] of bonds) {
    adj.get(a)?.push(b);
    adj.get(b)?.push(a);
  }
  return adj;
}

function graphDistances(from: string, adj: Map<string, string[]>): Map<string, number> {
  const d = new Map<string, number>([[from, 0]]);
  let frontier = [from];
  while (frontier.length) {
    const next: string[] = [];
    for (const a of frontier) for (const b of adj.get(a) ?? []) if (!d.has(b)) { d.set(b, d.get(a)! + 1); next.push(b); }
    frontier = next;
  }
  return d;
}

/**
 * Bead partition with at most MAX_RULED atoms per bead: an overfull bead passes one atom along the shortest bead
 * path (beads bonded to each other) to the nearest bead with room, each bead on the path handing on one atom that is
 * bonded to the next bead.
 */
export function lipidBeads(lipid: LipidTopology, model: 'cholesterol9' | 'cholesterol8' = 'cholesterol9'): [string, string[]][] {
  const beads = martiniPartition(lipid, model).map(([b, a]): [string, string[]] => [b, [...a]]);
  const adj = adjacency(lipid.atoms, lipid.bonds);
  const beadOf = () => new Map(beads.flatMap(([b, atoms]) => atoms.map((a) => [a, b] as const)));
  const index = new Map(beads.map(([b], i) => [b, i]));
  for (let guard = 0; guard < 100; guard++) {
    const over = beads.findIndex(([, a]) => a.length > MAX_RULED);
    if (over < 0) return beads;
    const owner = beadOf();
    const beadAdj = (i: number) => {
      const out = new Set<number>();
      for (const a of beads[i][1]) for (const n of adj.get(a)!) if (owner.get(n) !== beads[i][0]) out.add(index.get(owner.get(n)!)!);
      return [...out].sort((x, y) => x - y);
    };
    const prev = new Map<number, number>([[over, -1]]);
    let frontier = [over];
    let target = -1;
    while (frontier.length && target < 0) {
      const next: number[] = [];
      for (const i of frontier) for (const j of beadAdj(i)) if (!prev.has(j)) {
        prev.set(j, i);
        if (beads[j][1].length < MAX_RULED && target < 0) target = j;
        next.push(j);
      }
      frontier = next;
    }
    if (target < 0) throw new Error(`${lipid.name}: no bead has room for an atom of ${beads[over][0]}`);
    // Hand atoms on from the far end, so every bead stays within the limit.
    for (let to = target; prev.get(to)! >= 0; to = prev.get(to)!) {
      const from = prev.get(to)!;
      const own = beadOf();
      const [, fromAtoms] = beads[from];
      // The last listed atom bonded to the receiving bead (chains hand on their outermost carbon).
      const movable = fromAtoms.filter((a) => adj.get(a)!.some((n) => own.get(n) === beads[to][0]));
      const atom = movable[movable.length - 1];
      fromAtoms.splice(fromAtoms.indexOf(atom), 1);
      beads[to][1].push(atom);
    }
  }
  throw new Error(`${lipid.name}: bead partition did not settle`);
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Hierarchy labels of one bead (see the file header). Members are in the order they are written. */
export function lipidHierarchy(members: string[], lipid: LipidTopology): Map<string, string> {
  const adj = adjacency(lipid.atoms, lipid.bonds);
  const dist = new Map(members.map((m) => [m, graphDistances(m, adj)]));
  const d = (a: string, b: string) => dist.get(a)!.get(b) ?? Infinity;
  // Root: smallest largest distance to the other members, then smallest sum, then file order.
  const score = (m: string) => [Math.max(...members.map((o) => d(m, o))), members.reduce((s, o) => s + d(m, o), 0)];
  const root = [...members].sort((a, b) => {
    const [x1, x2] = score(a);
    const [y1, y2] = score(b);
    return x1 - y1 || x2 - y2 || members.indexOf(a) - members.indexOf(b);
  })[0];
  const level = new Map<string, number>([[root, 1]]);
  const parent = new Map<string, string>();
  const rest = members.filter((m) => m !== root).sort((a, b) => d(root, a) - d(root, b) || members.indexOf(a) - members.indexOf(b));
  for (const m of rest) {
    let best = root;
    for (const p of level.keys()) if (d(p, m) < d(best, m) || (d(p, m) === d(best, m) && level.get(p)! > level.get(best)!)) best = p;
    parent.set(m, best);
    level.set(m, level.get(best)! + 1);
  }
  const id = new Map<string, string>();
  const count = new Map<number, number>();
  for (const m of members) {
    const l = level.get(m)!;
    const k = count.get(l) ?? 0;
    id.set(m, LETTERS[k]);
    count.set(l, k + 1);
  }
  return new Map(members.map((m) => {
    const l = level.get(m)!;
    return [m, l === 1 ? 'P1A' : `P${l}${id.get(parent.get(m)!)}${id.get(m)}`];
  }));
}

function yamlKey(names: string[]): string {
  const k = names.join(',');
  return /^[A-Za-z0-9,]+$/.test(k) ? k : `"${k}"`;
}
const pad = (s: string, n: number) => (s.length >= n ? s + ' ' : s + ' '.repeat(n - s.length));

/** The mapping file of one lipid or sterol: heavy atoms grouped by bead (Martini bead order), then hydrogens. */
export function lipidYaml(lipid: LipidTopology, model: 'cholesterol9' | 'cholesterol8' = 'cholesterol9'): string {
  const beads = lipidBeads(lipid, model);
  const upstream = new Map(martiniPartition(lipid, model).flatMap(([b, atoms]) => atoms.map((a) => [a, b] as const)));
  const moved = beads.flatMap(([b, atoms]) => atoms.filter((a) => upstream.get(a) !== b).map((a) => `${a} ${upstream.get(a)}→${b}`));
  const what = lipid.kind === 'sterol'
    ? model === 'cholesterol9'
      ? 'Martini 3 cholesterol, 9-bead model (Borges-Araújo et al. 2023; m3_sterols martini_v3.0_sterols_v1.0.itp);\n' +
        '# atom lists are our fit to that model\'s bead geometry (mappings/cholesterol-fit.ts), not a published table'
      : 'Martini 3 cholesterol, older 8-bead model (CG2AT martini_3-0_charmm36 CHOL fragments)'
    : `Martini 3 lipidome beads (CG2AT martini_3-0_charmm36 ${lipid.name} fragments; Martini 3 phospholipids itp)`;
  const lines = [
    `# ${lipid.name} (${lipid.description}): ${what}.`,
    '# CHARMM36 atom names (src/core/chemistry/lipids.ts). Generated by mappings/generate.ts (mappings/lipids.ts):',
    '# heavy atoms weigh by mass, hydrogens are members with `!`; at most 5 rebuilt atoms per bead',
    moved.length ? `# (moved from the upstream bead to keep that limit: ${moved.join(', ')}).` : '# (every bead as upstream).',
    `molecule: ${lipid.name}`,
    'atoms:',
  ];
  const beadOf = new Map<string, string>();
  for (const [b, atoms] of beads) {
    const labels = lipidHierarchy(atoms, lipid);
    for (const a of atoms) {
      beadOf.set(a, b);
      lines.push(`  ${pad(a + ':', 8)}${pad(b, 5)}${labels.get(a)}`);
    }
  }
  for (const hy of lipid.hydrogens) lines.push(`  ${pad(yamlKey(hy.names) + ':', 12)}${pad(beadOf.get(hy.parent)!, 5)}!`);
  return lines.join('\n') + '\n';
}

export interface LipidFile {
  file: string;
  text: string;
  beads: string[];
  molecule: string;
}

/** The lipid and sterol files of the `martini3` set (CHL1 = the 9-bead model). */
export function martini3LipidFiles(): LipidFile[] {
  return Object.values(LIPIDS).map((l) => ({
    file: `${l.name.toLowerCase()}.yaml`,
    text: lipidYaml(l),
    beads: lipidBeads(l).map(([b]) => b),
    molecule: l.name,
  }));
}

/** The older 8-bead cholesterol, alone in its set (`martini3-chol8`). */
export function cholesterol8File(): LipidFile {
  const l = LIPIDS.CHL1;
  return { file: 'chl1.yaml', text: lipidYaml(l, 'cholesterol8'), beads: lipidBeads(l, 'cholesterol8').map(([b]) => b), molecule: l.name };
}
