/**
 * Generates the project's own bundled mapping sets from the chemistry table (src/core/chemistry: heavy atoms,
 * bonds, atom-name alternatives, protonation variants) and the bead shares listed here:
 *   mappings/martini3/  Martini 3 (martini3001) proteins, bead membership and weights chosen so that bead positions
 *                       reproduce martinize2 (vermouth: mass-weighted with H=1,C=12,N=14,O=16,S=32; atoms shared by
 *                       beads get count/total fractions; `!` atoms weigh 0; hydrogens count when present).
 *                       Lipids and sterols (mappings/lipids.ts) follow the proteins in the same set, their bead types
 *                       after the protein ones, so the protein files and type ids are unchanged by them.
 *   mappings/martini3-chol8/  the older 8-bead Martini 3 cholesterol (mappings/lipids.ts), alone.
 *   mappings/ca/        C-alpha only: one bead `CA` per residue holding every heavy atom, positioned on CA (`CM`).
 * Hierarchy labels (`P<level><anchor><id>`) come from a breadth-first walk of the bond graph from the bead's root
 * (`P1A`), so every anchor is a bonded neighbour inside the same bead.
 *
 * Run: npx tsx mappings/generate.ts   (rewrites the YAML files; the output is deterministic)
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESIDUES as AMINO_ACIDS } from '../src/core/chemistry/amino-acids';
import { protonationParent } from '../src/core/chemistry/variants';
import { TERMINAL_OXYGEN_NAMES, atomNames, residueBonds, type Bond } from '../src/core/chemistry/bonds';
import { cholesterol8File, martini3LipidFiles } from './lipids';

/** Bead share of an atom: bead name and relative weight (fraction text, '' = sole member). */
type Share = [bead: string, frac: string];

interface HeavyDef {
  names: string[]; // canonical first, then alternative names from other force fields
  beads: Share[]; // Martini 3 membership
}
interface HydDef {
  names: string[];
  parent: string; // canonical name of the heavy atom it is bonded to
  excluded: boolean; // `!` (vermouth's `!BEAD`): member with zero weight
}
export interface ResidueDef {
  name: string;
  heavy: HeavyDef[];
  bonds: readonly Bond[];
  hydrogens: HydDef[];
}

const one = (b: string): Share[] => [[b, '']];

/** Backbone heavy atoms (OXT last, after the side chain, as in PDB files). */
function backbone(): HeavyDef[] {
  return [
    { names: ['N'], beads: one('BB') },
    { names: ['CA'], beads: one('BB') },
    { names: ['C'], beads: one('BB') },
    { names: [...TERMINAL_OXYGEN_NAMES.O], beads: one('BB') },
  ];
}
const OXT: HeavyDef = { names: [...TERMINAL_OXYGEN_NAMES.OXT], beads: one('BB') };

/** Backbone hydrogens: amide H and the three N-terminal H (martinize2 counts them in BB), HA excluded. */
function backboneH(pro: boolean, gly: boolean): HydDef[] {
  // PRO has no amide H.
  const h: HydDef[] = [];
  if (!pro) h.push({ names: ['H', 'HN'], parent: 'N', excluded: false });
  h.push({ names: ['H1', 'HT1'], parent: 'N', excluded: false });
  h.push({ names: ['H2', 'HT2'], parent: 'N', excluded: false });
  // N-terminal PRO carries two of H1/H2/H3 depending on the naming tool; all three are accepted.
  h.push({ names: ['H3', 'HT3'], parent: 'N', excluded: false });
  if (gly) {
    h.push({ names: ['HA2'], parent: 'CA', excluded: true });
    h.push({ names: ['HA3', 'HA1'], parent: 'CA', excluded: true });
  } else h.push({ names: ['HA'], parent: 'CA', excluded: true });
  h.push({ names: ['HXT', 'HO'], parent: 'OXT', excluded: false });
  return h;
}

/** Hydrogen helpers: methylene (PDB X2/X3 = CHARMM X2/X1), methyl, single. */
const ch2 = (parent: string, stem: string, excluded: boolean): HydDef[] => [
  { names: [`${stem}2`], parent, excluded },
  { names: [`${stem}3`, `${stem}1`], parent, excluded },
];
const ch3 = (parent: string, stem: string, excluded: boolean, alt?: string): HydDef[] =>
  [1, 2, 3].map((i) => ({ names: alt ? [`${stem}${i}`, `${alt}${i}`] : [`${stem}${i}`], parent, excluded }));
const h1 = (parent: string, names: string[], excluded: boolean): HydDef => ({ names, parent, excluded });

/** A residue of the chemistry table with its Martini 3 bead shares; bonds and heavy atoms come from the table. */
function res(name: string, side: [string[] | string, Share[] | string][], sideH: HydDef[]): ResidueDef {
  const pro = name === 'PRO';
  const gly = name === 'GLY';
  const heavy = [
    ...backbone(),
    ...side.map(([n, b]) => ({
      names: Array.isArray(n) ? n : [n],
      beads: typeof b === 'string' ? one(b) : b,
    })),
    OXT,
  ];
  const parent = protonationParent(name);
  const tableBonds = residueBonds(name);
  if (!parent || !tableBonds) throw new Error(`${name}: not an amino acid of the chemistry table`);
  const expected = [...AMINO_ACIDS[parent].atoms, 'OXT'].sort().join(' ');
  const listed = heavy.map((h) => h.names[0]).sort().join(' ');
  if (listed !== expected) throw new Error(`${name}: heavy atoms ${listed} differ from the chemistry table's ${expected}`);
  const bonds: Bond[] = [...tableBonds, ['C', 'OXT']];
  return { name, heavy, bonds, hydrogens: [...backboneH(pro, gly), ...sideH] };
}

const HIS_SIDE: [string, Share[] | string][] = [
  ['CB', 'SC1'],
  ['CG', 'SC1'],
  ['ND1', 'SC3'],
  ['CD2', 'SC2'],
  ['CE1', 'SC3'],
  ['NE2', 'SC2'],
];
const HIS_H = [
  ...ch2('CB', 'HB', true),
  h1('ND1', ['HD1'], false),
  h1('CD2', ['HD2'], false),
  h1('CE1', ['HE1'], false),
  h1('NE2', ['HE2'], false),
];

export const RESIDUES: ResidueDef[] = [
  res('ALA', [['CB', 'SC1']], ch3('CB', 'HB', true)),
  res(
    'ARG',
    [
      ['CB', 'SC1'],
      ['CG', 'SC1'],
      ['CD', 'SC1'],
      ['NE', 'SC2'],
      ['CZ', 'SC2'],
      ['NH1', 'SC2'],
      ['NH2', 'SC2'],
    ],
    [
      ...ch2('CB', 'HB', true),
      ...ch2('CG', 'HG', true),
      ...ch2('CD', 'HD', true),
      h1('NE', ['HE'], false),
      h1('NH1', ['HH11'], false),
      h1('NH1', ['HH12'], false),
      h1('NH2', ['HH21'], false),
      h1('NH2', ['HH22'], false),
    ],
  ),
  res(
    'ASN',
    [
      ['CB', 'SC1'],
      ['CG', 'SC1'],
      ['OD1', 'SC1'],
      ['ND2', 'SC1'],
    ],
    [...ch2('CB', 'HB', true), h1('ND2', ['HD21'], false), h1('ND2', ['HD22'], false)],
  ),
  // HD2 only exists on protonated Asp; martinize2 then maps it (ASPP) with weight.
  res(
    'ASP',
    [
      ['CB', 'SC1'],
      ['CG', 'SC1'],
      ['OD1', 'SC1'],
      ['OD2', 'SC1'],
    ],
    [...ch2('CB', 'HB', true), h1('OD2', ['HD2'], false)],
  ),
  res(
    'CYS',
    [
      ['CB', 'SC1'],
      ['SG', 'SC1'],
    ],
    [...ch2('CB', 'HB', true), h1('SG', ['HG', 'HG1'], true)],
  ),
  res(
    'CYX',
    [
      ['CB', 'SC1'],
      ['SG', 'SC1'],
    ],
    [...ch2('CB', 'HB', true)],
  ),
  res(
    'GLN',
    [
      ['CB', 'SC1'],
      ['CG', 'SC1'],
      ['CD', 'SC1'],
      ['OE1', 'SC1'],
      ['NE2', 'SC1'],
    ],
    [...ch2('CB', 'HB', true), ...ch2('CG', 'HG', true), h1('NE2', ['HE21'], false), h1('NE2', ['HE22'], false)],
  ),
  res(
    'GLU',
    [
      ['CB', 'SC1'],
      ['CG', 'SC1'],
      ['CD', 'SC1'],
      ['OE1', 'SC1'],
      ['OE2', 'SC1'],
    ],
    [...ch2('CB', 'HB', true), ...ch2('CG', 'HG', true), h1('OE2', ['HE2'], false)],
  ),
  res('GLY', [], []),
  ...['HIS', 'HID', 'HIE', 'HIP', 'HSD', 'HSE', 'HSP'].map((n) => res(n, HIS_SIDE, HIS_H)),
  res(
    'ILE',
    [
      ['CB', 'SC1'],
      ['CG1', 'SC1'],
      ['CG2', 'SC1'],
      [[...atomNames('ILE', 'CD1')], 'SC1'],
    ],
    [
      h1('CB', ['HB'], true),
      ...ch2('CG1', 'HG1', true),
      ...ch3('CG2', 'HG2', true),
      ...ch3('CD1', 'HD1', true, 'HD'),
    ],
  ),
  res(
    'LEU',
    [
      ['CB', 'SC1'],
      ['CG', 'SC1'],
      ['CD1', 'SC1'],
      ['CD2', 'SC1'],
    ],
    [...ch2('CB', 'HB', true), h1('CG', ['HG'], true), ...ch3('CD1', 'HD1', true), ...ch3('CD2', 'HD2', true)],
  ),
  res(
    'LYS',
    [
      ['CB', 'SC1'],
      ['CG', 'SC1'],
      ['CD', 'SC1'],
      ['CE', 'SC2'],
      ['NZ', 'SC2'],
    ],
    [
      ...ch2('CB', 'HB', true),
      ...ch2('CG', 'HG', true),
      ...ch2('CD', 'HD', true),
      ...ch2('CE', 'HE', true),
      ...ch3('NZ', 'HZ', true),
    ],
  ),
  res(
    'MET',
    [
      ['CB', 'SC1'],
      ['CG', 'SC1'],
      ['SD', 'SC1'],
      ['CE', 'SC1'],
    ],
    [...ch2('CB', 'HB', true), ...ch2('CG', 'HG', true), ...ch3('CE', 'HE', true)],
  ),
  // Ring atoms shared between beads as in martinize2 (count/total fractions).
  res(
    'PHE',
    [
      ['CB', 'SC1'],
      ['CG', 'SC1'],
      ['CD1', [['SC1', '1/3'], ['SC2', '2/3']]],
      ['CD2', [['SC1', '1/3'], ['SC3', '2/3']]],
      ['CE1', 'SC2'],
      ['CE2', 'SC3'],
      ['CZ', [['SC2', '1/2'], ['SC3', '1/2']]],
    ],
    [...ch2('CB', 'HB', false), h1('CD1', ['HD1'], false), h1('CD2', ['HD2'], false), h1('CE1', ['HE1'], false), h1('CE2', ['HE2'], false), h1('CZ', ['HZ'], false)],
  ),
  res(
    'PRO',
    [
      ['CB', 'SC1'],
      ['CG', 'SC1'],
      ['CD', 'SC1'],
    ],
    [...ch2('CB', 'HB', true), ...ch2('CG', 'HG', true), ...ch2('CD', 'HD', true)],
  ),
  res(
    'SER',
    [
      ['CB', 'SC1'],
      ['OG', 'SC1'],
    ],
    [...ch2('CB', 'HB', true), h1('OG', ['HG', 'HG1'], false)],
  ),
  res(
    'THR',
    [
      ['CB', 'SC1'],
      ['OG1', 'SC1'],
      ['CG2', 'SC1'],
    ],
    [h1('CB', ['HB'], true), h1('OG1', ['HG1'], false), ...ch3('CG2', 'HG2', true)],
  ),
  res(
    'TRP',
    [
      ['CB', 'SC1'],
      ['CG', 'SC1'],
      ['CD1', 'SC2'],
      ['CD2', 'SC3'],
      ['NE1', 'SC2'],
      ['CE2', 'SC3'],
      ['CE3', 'SC4'],
      ['CZ2', 'SC5'],
      ['CZ3', 'SC4'],
      ['CH2', 'SC5'],
    ],
    [
      ...ch2('CB', 'HB', true),
      h1('CD1', ['HD1'], false),
      h1('NE1', ['HE1'], false),
      h1('CE3', ['HE3'], false),
      h1('CZ2', ['HZ2'], false),
      h1('CZ3', ['HZ3'], false),
      h1('CH2', ['HH2'], false),
    ],
  ),
  res(
    'TYR',
    [
      ['CB', 'SC1'],
      ['CG', 'SC1'],
      ['CD1', 'SC2'],
      ['CD2', 'SC3'],
      ['CE1', 'SC2'],
      ['CE2', 'SC3'],
      ['CZ', 'SC4'],
      ['OH', 'SC4'],
    ],
    [
      ...ch2('CB', 'HB', true),
      h1('CD1', ['HD1'], false),
      h1('CD2', ['HD2'], false),
      h1('CE1', ['HE1'], false),
      h1('CE2', ['HE2'], false),
      h1('OH', ['HH'], false),
    ],
  ),
  res(
    'VAL',
    [
      ['CB', 'SC1'],
      ['CG1', 'SC1'],
      ['CG2', 'SC1'],
    ],
    [h1('CB', ['HB'], true), ...ch3('CG1', 'HG1', true), ...ch3('CG2', 'HG2', true)],
  ),
];


const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Hierarchy labels for the heavy atoms of one bead: BFS from the root (first member in file order) over bonds
 * inside the bead; root `P1A`, depth d -> level d+1, ids in file order per level, anchor = BFS parent's id.
 */
export function hierarchy(members: string[], bonds: readonly Bond[], beadLabel: string): Map<string, string> {
  const inBead = new Set(members);
  const adj = new Map<string, string[]>();
  for (const m of members) adj.set(m, []);
  for (const [a, b] of bonds)
    if (inBead.has(a) && inBead.has(b)) {
      adj.get(a)!.push(b);
      adj.get(b)!.push(a);
    }
  const order = new Map(members.map((m, i) => [m, i]));
  // CA is the natural centre of a backbone bead; otherwise the first member (closest to the backbone).
  const root = inBead.has('CA') ? 'CA' : members[0];
  const level = new Map<string, number>([[root, 1]]);
  const parent = new Map<string, string>();
  let frontier = [root];
  while (frontier.length) {
    const next: string[] = [];
    for (const a of frontier)
      for (const b of [...adj.get(a)!].sort((x, y) => order.get(x)! - order.get(y)!))
        if (!level.has(b)) {
          level.set(b, level.get(a)! + 1);
          parent.set(b, a);
          next.push(b);
        }
    frontier = next.sort((x, y) => order.get(x)! - order.get(y)!);
  }
  for (const m of members) if (!level.has(m)) throw new Error(`${beadLabel}: atom ${m} is not bonded to the bead root`);
  // ids: per level, in file order
  const id = new Map<string, string>();
  const count = new Map<number, number>();
  for (const m of members) {
    const l = level.get(m)!;
    const k = count.get(l) ?? 0;
    if (k >= 26) throw new Error(`${beadLabel}: more than 26 atoms at level ${l}`);
    id.set(m, LETTERS[k]);
    count.set(l, k + 1);
  }
  const out = new Map<string, string>();
  for (const m of members) {
    const l = level.get(m)!;
    out.set(m, l === 1 ? 'P1A' : `P${l}${id.get(parent.get(m)!)}${id.get(m)}`);
  }
  return out;
}

function yamlKey(names: string[]): string {
  const k = names.join(',');
  return /^[A-Za-z0-9,]+$/.test(k) ? k : `"${k}"`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s + ' ' : s + ' '.repeat(n - s.length);
}

export function martiniYaml(r: ResidueDef): string {
  const beadMembers = new Map<string, string[]>();
  for (const h of r.heavy)
    for (const [b] of h.beads) {
      if (!beadMembers.has(b)) beadMembers.set(b, []);
      beadMembers.get(b)!.push(h.names[0]);
    }
  const labels = new Map<string, Map<string, string>>();
  for (const [b, members] of beadMembers) labels.set(b, hierarchy(members, r.bonds, `${r.name} ${b}`));
  const lines = [
    `# ${r.name}: Martini 3 (martini3001) bead mapping; weights reproduce martinize2 bead positions.`,
    `# Generated by mappings/generate.ts; hydrogens are members without rules (they count when present).`,
    `molecule: ${r.name}`,
    'atoms:',
  ];
  for (const h of r.heavy) {
    const beads = h.beads.map(([b]) => b).join(',');
    const rules = h.beads.map(([b]) => labels.get(b)!.get(h.names[0])!).join(',');
    const fr = h.beads.some(([, f]) => f) ? ' ' + h.beads.map(([, f]) => f).join(',') : '';
    lines.push(`  ${pad(yamlKey(h.names) + ':', 18)}${pad(beads, 8)}${rules}${fr}`.trimEnd());
  }
  const heavyBeads = new Map(r.heavy.map((h) => [h.names[0], h.beads]));
  for (const h of r.hydrogens) {
    const shares = heavyBeads.get(h.parent);
    if (!shares) throw new Error(`${r.name}: hydrogen ${h.names[0]} on unknown atom ${h.parent}`);
    const beads = shares.map(([b]) => b).join(',');
    let settings = '';
    if (h.excluded) settings = shares.map(() => '!').join(',');
    else if (shares.some(([, f]) => f)) settings = shares.map(([, f]) => f).join(',');
    lines.push(`  ${pad(yamlKey(h.names) + ':', 18)}${pad(beads, 8)}${settings}`.trimEnd());
  }
  return lines.join('\n') + '\n';
}

export function caYaml(r: ResidueDef): string {
  const labels = hierarchy(
    r.heavy.map((h) => h.names[0]),
    r.bonds,
    `${r.name} CA`,
  );
  const lines = [
    `# ${r.name}: C-alpha mapping; one bead CA on the CA atom (CM) holding every heavy atom.`,
    `# Generated by mappings/generate.ts; hydrogens are members without rules and without weight.`,
    `molecule: ${r.name}`,
    'atoms:',
  ];
  for (const h of r.heavy) {
    const n = h.names[0];
    lines.push(`  ${pad(yamlKey(h.names) + ':', 18)}${pad('CA', 8)}${labels.get(n)}${n === 'CA' ? ' CM' : ''}`);
  }
  for (const h of r.hydrogens) lines.push(`  ${pad(yamlKey(h.names) + ':', 18)}${pad('CA', 8)}!`);
  return lines.join('\n') + '\n';
}

function beadTypesYaml(entries: [string, number][], comment: string): string {
  return [`# ${comment}`, ...entries.map(([k, v]) => `${k}: ${v}`)].join('\n') + '\n';
}

export function generate(root: string): void {
  const m3 = join(root, 'martini3');
  const ca = join(root, 'ca');
  const chol8 = join(root, 'martini3-chol8');
  for (const dir of [m3, ca, chol8]) {
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) if (f.endsWith('.yaml')) rmSync(join(dir, f));
  }
  const m3Types: [string, number][] = [];
  const caTypes: [string, number][] = [];
  const typeOf = new Map<string, number>();
  const caTypeOf = new Map<string, number>();
  for (const r of RESIDUES) {
    writeFileSync(join(m3, `${r.name.toLowerCase()}.yaml`), martiniYaml(r));
    writeFileSync(join(ca, `${r.name.toLowerCase()}.yaml`), caYaml(r));
    // protonation variants share their parent's bead types (same CG particle)
    const base = protonationParent(r.name) ?? r.name;
    const beads: string[] = [];
    for (const h of r.heavy) for (const [b] of h.beads) if (!beads.includes(b)) beads.push(b);
    for (const b of beads) {
      const key = `${base}_${b}`;
      if (!typeOf.has(key)) typeOf.set(key, typeOf.size);
      m3Types.push([`${r.name}_${b}`, typeOf.get(key)!]);
    }
    if (!caTypeOf.has(base)) caTypeOf.set(base, caTypeOf.size);
    caTypes.push([`${r.name}_CA`, caTypeOf.get(base)!]);
  }
  // Lipids and sterols after every protein type: the protein ids stay what the protein model was trained on.
  let nextType = typeOf.size;
  for (const l of martini3LipidFiles()) {
    writeFileSync(join(m3, l.file), l.text);
    for (const b of l.beads) m3Types.push([`${l.molecule}_${b}`, nextType++]);
  }
  writeFileSync(join(m3, 'bead_types.yaml'), beadTypesYaml(m3Types, 'Martini 3 protein bead types (protonation variants share ids), then lipid and sterol bead types.'));
  const c8 = cholesterol8File();
  writeFileSync(join(chol8, c8.file), c8.text);
  writeFileSync(join(chol8, 'bead_types.yaml'), beadTypesYaml(c8.beads.map((b, i) => [`${c8.molecule}_${b}`, i]), 'Martini 3 cholesterol, older 8-bead model.'));
  writeFileSync(join(ca, 'bead_types.yaml'), beadTypesYaml(caTypes, 'C-alpha bead types: one per amino acid (variants share ids).'));
}

if (process.argv[1] && /generate\.ts$/.test(process.argv[1])) {
  generate(new URL('.', import.meta.url).pathname);
  console.log('mapping sets written to mappings/martini3, mappings/martini3-chol8 and mappings/ca');
}
