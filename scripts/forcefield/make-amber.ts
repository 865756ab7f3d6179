/**
 * Writes `src/core/refine/forcefield/amber99sb-ildn.ts`, the AMBER99SB-ILDN parameters the in-product minimiser
 * uses, from the GROMACS port of the force field (Debian's `gromacs-data`: /usr/share/gromacs/top/amber99sb-ildn.ff,
 * LGPL): residue topologies of the amino acids and their terminal forms (`aminoacids.rtp`), bonded types and the
 * ILDN side-chain torsion macros (`ffbonded.itp`), Lennard-Jones types (`ffnonbonded.itp`). Units stay GROMACS's
 * (nm, degrees, kJ/mol); the energy code converts to Å.
 * Usage: npx tsx scripts/forcefield/make-amber.ts [force-field folder] [out file]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ffDir = process.argv[2] ?? '/usr/share/gromacs/top/amber99sb-ildn.ff';
const out = process.argv[3] ?? join(import.meta.dirname, '../../src/core/refine/forcefield/amber99sb-ildn.ts');

/** Residues our hydrogens write under `names: 'amber'` (ffnames.ts), each with its N- and C-terminal form. */
const BASE = [
  'ALA', 'GLY', 'SER', 'THR', 'LEU', 'ILE', 'VAL', 'ASN', 'GLN', 'ARG', 'HID', 'HIE', 'HIP', 'TRP', 'PHE', 'TYR',
  'GLU', 'ASP', 'LYS', 'LYN', 'PRO', 'CYS', 'CYM', 'CYX', 'MET', 'ASH', 'GLH',
];

const text = (f: string): string => readFileSync(join(ffDir, f), 'utf8');
/** Lines without comments, split into fields. */
const rows = (t: string): string[][] =>
  t.split('\n').map((l) => l.replace(/;.*/, '').trim()).filter((l) => l.length > 0).map((l) => l.split(/\s+/));

/** `[ section ]` blocks in file order: [name, rows]. */
function sections(t: string): [string, string[][]][] {
  const out: [string, string[][]][] = [];
  for (const r of rows(t)) {
    const m = r.join(' ').match(/^\[ *(\S+) *\]$/);
    if (m) out.push([m[1], []]);
    else if (out.length > 0) out[out.length - 1][1].push(r);
  }
  return out;
}

// Lennard-Jones types (sigma nm, epsilon kJ/mol).
const types: Record<string, [number, number]> = {};
for (const [name, rs] of sections(text('ffnonbonded.itp'))) {
  if (name !== 'atomtypes') continue;
  for (const r of rs) types[r[0]] = [Number(r[5]), Number(r[6])];
}

// Bonded types, and the `#define` macros of the ILDN torsions.
const bonded = text('ffbonded.itp');
const macros = new Map<string, [number, number, number]>();
for (const l of bonded.split('\n')) {
  const m = l.replace(/;.*/, '').trim().match(/^#define\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$/);
  if (m) macros.set(m[1], [Number(m[2]), Number(m[3]), Number(m[4])]);
}
const bonds: Record<string, [number, number]> = {};
const angles: Record<string, [number, number]> = {};
type Dihedral = [string, string, string, string, [number, number, number][]];
const propers: Dihedral[] = [];
const impropers: Dihedral[] = [];
for (const [name, rs] of sections(bonded.replace(/^#.*$/gm, ''))) {
  for (const r of rs) {
    if (name === 'bondtypes') bonds[`${r[0]} ${r[1]}`] = [Number(r[3]), Number(r[4])];
    else if (name === 'angletypes') angles[`${r[0]} ${r[1]} ${r[2]}`] = [Number(r[4]), Number(r[5])];
    else if (name === 'dihedraltypes') {
      const fn = Number(r[4]);
      if (fn !== 9 && fn !== 4) throw new Error(`ffbonded.itp: dihedral function ${fn} not handled`);
      const list = fn === 9 ? propers : impropers;
      const term: [number, number, number] = [Number(r[5]), Number(r[6]), Number(r[7])];
      const last = list[list.length - 1];
      // Function 9: consecutive lines with the same four types are the terms of one multi-term torsion (grompp).
      if (fn === 9 && last && last[0] === r[0] && last[1] === r[1] && last[2] === r[2] && last[3] === r[3]) last[4].push(term);
      else list.push([r[0], r[1], r[2], r[3], [term]]);
    }
  }
}

// Residue topologies.
interface Residue {
  atoms: [string, string, number][];
  bonds: [string, string][];
  impropers: [string, string, string, string][];
  dihedrals: [string, string, string, string, number, number, number][];
}
const residues: Record<string, Residue> = {};
const wanted = new Set(BASE.flatMap((r) => [r, `N${r}`, `C${r}`]));
let current: Residue | null = null;
let sub = '';
for (const r of rows(text('aminoacids.rtp'))) {
  const head = r.join(' ').match(/^\[ *(\S+) *\]$/);
  if (head) {
    if (['atoms', 'bonds', 'impropers', 'dihedrals', 'bondedtypes'].includes(head[1])) sub = head[1];
    else {
      current = wanted.has(head[1]) ? { atoms: [], bonds: [], impropers: [], dihedrals: [] } : null;
      if (current) residues[head[1]] = current;
      sub = '';
    }
    continue;
  }
  if (!current) continue;
  if (sub === 'atoms') current.atoms.push([r[0], r[1], Number(r[2])]);
  else if (sub === 'bonds') current.bonds.push([r[0], r[1]]);
  else if (sub === 'impropers') current.impropers.push([r[0], r[1], r[2], r[3]]);
  else if (sub === 'dihedrals') {
    const p = macros.get(r[4]);
    if (!p) throw new Error(`aminoacids.rtp: unknown torsion macro ${r[4]}`);
    current.dihedrals.push([r[0], r[1], r[2], r[3], ...p]);
  }
}
const missing = [...wanted].filter((r) => !residues[r] && !/^[NC](LYN|CYM|ASH|GLH)$/.test(r));
if (missing.length > 0) throw new Error(`aminoacids.rtp lacks ${missing.join(', ')}`);

const json = (v: unknown): string => JSON.stringify(v);
const lines = [
  '/**',
  ' * AMBER99SB-ILDN parameters for the amino acids, generated by scripts/forcefield/make-amber.ts: do not edit.',
  ' * Force field: K. Lindorff-Larsen, S. Piana, K. Palmo, P. Maragakis, J. L. Klepeis, R. O. Dror, D. E. Shaw,',
  ' * "Improved side-chain torsion potentials for the Amber ff99SB protein force field", Proteins 78, 1950–1958',
  ' * (2010), on ff99SB (Hornak et al., Proteins 65, 712 (2006)) and ff99 (Wang, Cieplak, Kollman, J. Comput. Chem.',
  ' * 21, 1049 (2000)). Data from the GROMACS port (amber99sb-ildn.ff of GROMACS, LGPL-2.1; ports by E. J. Sorin and',
  ' * V. S. Pande, Biophys. J. 88, 2472 (2005)). Units as GROMACS: nm, degrees, kJ/mol, e.',
  ' * [defaults]: LJ 12-6, Lorentz-Berthelot, generated 1-4 pairs, fudgeLJ 0.5, fudgeQQ 0.8333; nrexcl 3.',
  ' */',
  "import type { AmberTable } from './table';",
  '',
  'export const AMBER99SB_ILDN: AmberTable = {',
  `  fudgeLJ: 0.5,`,
  `  fudgeQQ: 0.8333,`,
  `  types: ${json(types)},`,
  `  bonds: ${json(bonds)},`,
  `  angles: ${json(angles)},`,
  `  propers: [\n${propers.map((d) => `    ${json(d)},`).join('\n')}\n  ],`,
  `  impropers: [\n${impropers.map((d) => `    ${json(d)},`).join('\n')}\n  ],`,
  '  residues: {',
  ...Object.entries(residues).map(([n, r]) => `    ${n}: ${json(r)},`),
  '  },',
  '};',
  '',
];
writeFileSync(out, lines.join('\n'));
console.log(`${Object.keys(residues).length} residues, ${Object.keys(types).length} atom types, ${propers.length} proper and ${impropers.length} improper torsion types → ${out}`);
