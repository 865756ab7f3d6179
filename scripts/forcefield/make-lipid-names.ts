/**
 * Writes `src/core/chemistry/lipid-amber-names.ts`: per lipid and sterol of the chemistry table, the AMBER lipid
 * force field's atom names (Lipid17; Lipid21 keeps them) for our CHARMM36 names, from OpenMM's `amber14/lipid17.xml`
 * (Debian python3-simtk 7.7: /usr/lib/python3/dist-packages/openmm/app/data/amber14/lipid17.xml).
 *
 * Each molecule's CHARMM36 graph (the table's heavy atoms and bonds, plus the hydrogens `lipid-hydrogens.ts` writes,
 * under their output names) is matched to the lipid17 residue of the same name by graph isomorphism: VF2-style
 * backtracking, atoms taken breadth-first so each has a matched neighbour, candidates pruned by element, degree and
 * the images of already matched neighbours. Where the graph allows several matches (the hydrogens of a CH2 or CH3,
 * the three choline methyls, the phosphate's two free oxygens) the candidates are tried with the same name first,
 * then the one of the same rank among its like-element siblings (names in natural order), so the first match found
 * keeps names and the order of their trailing letters/numbers wherever the graph allows. A molecule whose graph
 * does not match (atom or bond count, or no isomorphism) is refused with an error.
 * Usage: npx tsx scripts/forcefield/make-lipid-names.ts [lipid17.xml] [out file]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIPIDS, type LipidTopology } from '../../src/core/chemistry/lipids';
import { lipidHydrogenPlan } from '../../src/core/lipid-hydrogens';

const xmlPath = process.argv[2] ?? '/usr/lib/python3/dist-packages/openmm/app/data/amber14/lipid17.xml';
const out = process.argv[3] ?? join(import.meta.dirname, '../../src/core/chemistry/lipid-amber-names.ts');

/** A molecular graph: atom names, elements and neighbour lists (indices). */
interface Graph {
  names: string[];
  elements: string[];
  adj: number[][];
  bonds: number;
}

function graphOf(names: string[], elements: string[], bonds: readonly (readonly [string, string])[], where: string): Graph {
  const idx = new Map(names.map((n, k) => [n, k]));
  if (idx.size !== names.length) throw new Error(`${where}: duplicate atom names`);
  const adj: number[][] = names.map(() => []);
  for (const [a, b] of bonds) {
    const i = idx.get(a);
    const j = idx.get(b);
    if (i === undefined || j === undefined) throw new Error(`${where}: bond ${a}-${b} names an atom the residue lacks`);
    adj[i].push(j);
    adj[j].push(i);
  }
  return { names, elements, adj, bonds: bonds.length };
}

/** The residues of lipid17.xml as graphs (elements from the atom types). */
function readLipid17(path: string): Map<string, Graph> {
  const xml = readFileSync(path, 'utf8');
  const attr = (tag: string, key: string): string | undefined => tag.match(new RegExp(`\\b${key}="([^"]*)"`))?.[1];
  const typeElement = new Map<string, string>();
  for (const m of xml.matchAll(/<Type\b[^>]*>/g)) typeElement.set(attr(m[0], 'name')!, attr(m[0], 'element')!);
  const residues = new Map<string, Graph>();
  for (const m of xml.matchAll(/<Residue name="([^"]+)">([\s\S]*?)<\/Residue>/g)) {
    const [, res, body] = m;
    const names: string[] = [];
    const elements: string[] = [];
    for (const a of body.matchAll(/<Atom\b[^>]*>/g)) {
      const type = attr(a[0], 'type')!;
      const el = typeElement.get(type);
      if (!el) throw new Error(`${path}: residue ${res} atom type ${type} has no <Type> with an element`);
      names.push(attr(a[0], 'name')!);
      elements.push(el);
    }
    const bonds = [...body.matchAll(/<Bond\b[^>]*>/g)].map((b): [string, string] => [attr(b[0], 'atomName1')!, attr(b[0], 'atomName2')!]);
    if (/<ExternalBond\b/.test(body)) continue; // a fragment (none among the whole lipids), not a molecule
    residues.set(res, graphOf(names, elements, bonds, `${path} residue ${res}`));
  }
  return residues;
}

/** Our CHARMM36 graph of a table molecule: heavy atoms, then each carrier's hydrogens as `lipid-hydrogens.ts` names them. */
function charmmGraph(l: LipidTopology): Graph {
  const plan = lipidHydrogenPlan(l.name)!;
  const names = [...l.atoms];
  const elements = [...l.elements];
  const bonds: (readonly [string, string])[] = [...l.bonds];
  for (const [carrier, hs] of plan.byCarrier)
    for (const h of hs) {
      names.push(h);
      elements.push('H');
      bonds.push([carrier, h]);
    }
  return graphOf(names, elements, bonds, `chemistry table ${l.name}`);
}

const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** Rank of atom `i` among the like-element neighbours of `via` (names in natural order). */
function rank(g: Graph, via: number, i: number): number {
  const sib = g.adj[via].filter((j) => g.elements[j] === g.elements[i]).map((j) => g.names[j]).sort(natural);
  return sib.indexOf(g.names[i]);
}

/** An isomorphism ours → theirs (index map), or null. */
function match(ours: Graph, theirs: Graph): number[] | null {
  const n = ours.names.length;
  if (n !== theirs.names.length || ours.bonds !== theirs.bonds) return null;
  // breadth-first order from the first heavy atom; `via` is a neighbour matched earlier
  const order: number[] = [];
  const via: number[] = new Array(n).fill(-1);
  const seen = new Array(n).fill(false);
  for (let s = 0; s < n; s++) {
    if (seen[s]) continue;
    seen[s] = true;
    order.push(s);
    for (let q = order.length - 1; q < order.length; q++)
      for (const j of ours.adj[order[q]])
        if (!seen[j]) {
          seen[j] = true;
          via[j] = order[q];
          order.push(j);
        }
  }
  const map: number[] = new Array(n).fill(-1);
  const used = new Array(n).fill(false);
  const fits = (i: number, t: number): boolean => {
    if (used[t] || ours.elements[i] !== theirs.elements[t] || ours.adj[i].length !== theirs.adj[t].length) return false;
    // every matched neighbour of i maps onto a neighbour of t, and t has no other matched neighbour
    let matched = 0;
    for (const j of ours.adj[i]) {
      if (map[j] < 0) continue;
      matched++;
      if (!theirs.adj[t].includes(map[j])) return false;
    }
    return matched === theirs.adj[t].filter((u) => used[u]).length;
  };
  const candidates = (i: number): number[] => {
    const pool = via[i] < 0 ? theirs.names.map((_, t) => t) : theirs.adj[map[via[i]]];
    const r = via[i] < 0 ? 0 : rank(ours, via[i], i);
    const key = (t: number) => [theirs.names[t] === ours.names[i] ? 0 : 1, via[i] < 0 ? 0 : Math.abs(rank(theirs, map[via[i]], t) - r), t];
    return pool.filter((t) => fits(i, t)).sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      return ka[0] - kb[0] || ka[1] - kb[1] || ka[2] - kb[2];
    });
  };
  const step = (q: number): boolean => {
    if (q === n) return true;
    const i = order[q];
    for (const t of candidates(i)) {
      map[i] = t;
      used[t] = true;
      if (step(q + 1)) return true;
      map[i] = -1;
      used[t] = false;
    }
    return false;
  };
  return step(0) ? map : null;
}

const lipid17 = readLipid17(xmlPath);
const entries: string[] = [];
const summary: string[] = [];
for (const l of Object.values(LIPIDS)) {
  const theirs = lipid17.get(l.name);
  if (!theirs) {
    summary.push(`${l.name}: not in lipid17.xml, skipped`);
    continue;
  }
  const ours = charmmGraph(l);
  const map = match(ours, theirs);
  if (!map)
    throw new Error(`${l.name}: our CHARMM36 graph (${ours.names.length} atoms, ${ours.bonds} bonds) does not match ${xmlPath} residue ${l.name} (${theirs.names.length} atoms, ${theirs.bonds} bonds)`);
  const renamed = ours.names.map((name, i): [string, string] => [name, theirs.names[map[i]]]).filter(([a, b]) => a !== b);
  const pairs = renamed.map(([a, b]) => `${JSON.stringify(a)}: ${JSON.stringify(b)}`);
  const lines: string[] = [];
  for (let k = 0; k < pairs.length; k += 8) lines.push(`      ${pairs.slice(k, k + 8).join(', ')},`);
  entries.push(`  ${l.name}: {\n    residue: '${l.name}',\n    atoms: {${lines.length ? `\n${lines.join('\n')}\n    ` : ''}},\n  },`);
  summary.push(`${l.name}: ${ours.names.length} atoms matched, ${renamed.length} renamed`);
}

const text = `/**
 * AMBER lipid force-field names (Lipid17; Lipid21 keeps its atom names) of the lipids and sterols of the chemistry
 * table, for \`--names amber\`: per CHARMM36 residue name, the lipid17 residue name and the atoms whose lipid17 name
 * differs from the CHARMM36 one we write (the others keep their names).
 *
 * Source: OpenMM's \`amber14/lipid17.xml\` (converted from AmberTools 17 leaprc.lipid17; Dickson, Madej, Skjevik,
 * Betz, Teigen, Gould, Walker, J Chem Theory Comput 2014 10:865 (Lipid14) and the Lipid17 update by Gould, Skjevik,
 * Dickson, Madej, Walker). GENERATED by scripts/forcefield/make-lipid-names.ts (do not edit): each molecule's
 * CHARMM36 bond graph with our hydrogens (\`lipid-hydrogens.ts\`) matched to the lipid17 residue by graph isomorphism,
 * elements and bonds; among equivalent atoms (hydrogens of one carrier, the choline methyls, the free phosphate
 * oxygens) same names first, then the same rank in natural name order.
 *
 * ${summary.join('\n * ')}
 */

export interface LipidAmberNames {
  /** lipid17 residue name. */
  residue: string;
  /** CHARMM36 atom name → lipid17 atom name, where they differ. */
  atoms: Readonly<Record<string, string>>;
}

export const LIPID_AMBER_NAMES: Readonly<Record<string, LipidAmberNames>> = {
${entries.join('\n')}
};
`;
writeFileSync(out, text);
console.log(`${out}\n${summary.join('\n')}`);
