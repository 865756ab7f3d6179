/**
 * The AMBER99SB-ILDN topology of a protein structure with hydrogens, built the way `gmx pdb2gmx` + `grompp` build
 * it from the GROMACS port: residue entries from the `.rtp` (N- and C-terminal forms where the chain starts or
 * ends), every bond of the entries (peptide links `-C`/`+N`, disulfides between CYX SG atoms), every angle and
 * every proper torsion of the bond graph (pdb2gmx's all_dihedrals = 1; the residue's own ILDN torsions replace
 * the type-based ones on the same four atoms), the entries' impropers, exclusions of 1-2 and 1-3 pairs and scaled
 * 1-4 pairs (nrexcl 3, hydrogen pairs included). Types are matched as grompp does: bonds and angles exactly in
 * either direction, torsions by the first type with the most non-wildcard matches.
 *
 * A residue is parametrised only when its atoms are exactly those of its entry (after renaming, see
 * `amberNamesOf`); any other residue (no hydrogens, a ligand, water, a missing atom) is frozen: its atoms
 * do not move and take no part in the energy, and it is listed in `frozen` with the reason.
 * Internal units: Å, radians, kJ/mol.
 */
import type { Structure, Residue } from '../../structure/types';
import { residuesOf } from '../../structure/builder';
import { atomNameFor, residueNameFor, type ForceFieldNaming } from '../../ffnames';
import type { ProtonationState } from '../../chemistry/hydrogens';
import type { AmberTable, ResidueTopology, TorsionTerm } from './table';
import { AMBER99SB_ILDN } from './amber99sb-ildn';

export interface FrozenResidue {
  chainId: string;
  resSeq: number;
  iCode: string;
  resName: string;
  reason: string;
}

export interface Topology {
  n: number;
  /** Residue index (of `residuesOf`) per atom. */
  residueOf: Int32Array;
  residueCount: number;
  /** 1 when the atom moves (belongs to a parametrised residue). */
  movable: Uint8Array;
  /** 1 when the atom is a parametrised heavy atom (tethered). */
  heavy: Uint8Array;
  /** 1 when the atom has nonbonded parameters (held residues' atoms too: uncharged, element-typed walls). */
  hasNonbonded: Uint8Array;
  charge: Float64Array;
  /** LJ sigma (Å) and epsilon (kJ/mol) per atom; pairs combine by Lorentz-Berthelot. */
  sigma: Float64Array;
  epsilon: Float64Array;
  bondI: Int32Array; bondJ: Int32Array; bondR0: Float64Array; bondK: Float64Array;
  angleI: Int32Array; angleJ: Int32Array; angleK: Int32Array; angleT0: Float64Array; angleKt: Float64Array;
  /** Periodic torsion terms, propers then impropers (`properCount` of them proper). */
  torI: Int32Array; torJ: Int32Array; torK: Int32Array; torL: Int32Array;
  torPhase: Float64Array; torKt: Float64Array; torN: Float64Array;
  properCount: number;
  pairI: Int32Array; pairJ: Int32Array;
  fudgeLJ: number;
  fudgeQQ: number;
  /** Excluded partners (1-2, 1-3, 1-4) per atom: CSR, sorted. */
  exclStart: Int32Array;
  exclList: Int32Array;
  frozen: FrozenResidue[];
  parametrisedResidues: number;
}

/** Protonation states whose residue names differ between namings (ffnames.ts), to read any naming back. */
const STATES: readonly ProtonationState[] = ['HSD', 'HSE', 'HSP', 'ASPP', 'GLUP', 'LSN', 'CYX', 'CYM'];

/** Residue name under `naming` → its AMBER (`.rtp`) base name, for the names that differ from the parent's. */
function residueNameMap(naming: ForceFieldNaming): Map<string, string> {
  const m = new Map<string, string>();
  for (const st of STATES) {
    const own = residueNameFor(st, naming);
    const amber = residueNameFor(st, 'amber');
    // CYX is written CYS (its partner makes it CYX, decided from the S–S distance below)
    if (own !== 'CYS') m.set(own, amber);
  }
  m.set('HIS', 'HIS');
  return m;
}

const PARENT: Record<string, string> = { HID: 'HIS', HIE: 'HIS', HIP: 'HIS', ASH: 'ASP', GLH: 'GLU', LYN: 'LYS', CYX: 'CYS', CYM: 'CYS' };

/** Atom names of a residue under `naming` → the AMBER port's names (ffnames `atomNameFor` over canonical names). */
function amberAtomName(parent: string, name: string, naming: ForceFieldNaming, cTerminal: boolean): string {
  if (naming !== 'charmm') return name;
  // CHARMM names are the canonical ones but for ILE CD and the C-terminal oxygens
  let canonical = name;
  if (parent === 'ILE' && name === 'CD') canonical = 'CD1';
  else if (name === 'OT1') canonical = 'O';
  else if (name === 'OT2') canonical = 'OXT';
  return atomNameFor(parent, canonical, 'amber', { nTerminal: false, cTerminal });
}

interface ResidueChoice {
  entry: ResidueTopology | null;
  /** The structure's atom index per entry atom name. */
  atoms: Map<string, number>;
  reason: string;
}

const DEG = Math.PI / 180;
const PEPTIDE_MAX = 2.0; // Å: C(i)–N(i+1) closer than this is a peptide bond
const SS_MAX = 2.5; // Å: SG–SG closer than this is a disulfide

function dist(x: Float64Array, i: number, j: number): number {
  return Math.hypot(x[3 * i] - x[3 * j], x[3 * i + 1] - x[3 * j + 1], x[3 * i + 2] - x[3 * j + 2]);
}

export interface TopologyOptions {
  /** Naming of the structure's residues and atoms (default 'amber', what `addHydrogens(..., { names: 'amber' })` writes). */
  names?: ForceFieldNaming;
  table?: AmberTable;
}

/** AMBER type standing for each element in held residues (parm99's sp3 carbon, amide N, ether O, …). */
const HELD_TYPE: Record<string, string> = { C: 'CT', N: 'N', O: 'OS', S: 'S', P: 'P', H: 'HC', F: 'F', CL: 'Cl', BR: 'Br', I: 'I', NA: 'Na', K: 'K', MG: 'MG', ZN: 'Zn' };

export function buildTopology(s: Structure, opts: TopologyOptions = {}): Topology {
  const table = opts.table ?? AMBER99SB_ILDN;
  const naming = opts.names ?? 'amber';
  const x = s.coords;
  const n = s.atoms.count;
  const residues = residuesOf(s.atoms);
  const residueOf = new Int32Array(n);
  for (const r of residues) for (let i = r.start; i < r.end; i++) residueOf[i] = r.index;
  const resMap = residueNameMap(naming);

  // Residue base names (AMBER), atom names (AMBER) and peptide links.
  const base: (string | null)[] = residues.map((r) => {
    const nm = resMap.get(r.resName) ?? r.resName;
    return table.residues[nm] || nm === 'HIS' ? nm : null;
  });
  const names: Map<string, number>[] = residues.map((r, k) => {
    const m = new Map<string, number>();
    const parent = PARENT[base[k] ?? ''] ?? base[k] ?? r.resName;
    const cTerm = naming === 'charmm' && hasName(s, r, 'OT2');
    for (let i = r.start; i < r.end; i++) {
      const nm = amberAtomName(parent, s.atoms.name[i], naming, cTerm);
      if (!m.has(nm)) m.set(nm, i);
      else m.set(`#dup${i}`, i); // a repeated name makes the residue fail the exact-atoms check
    }
    return m;
  });
  const linkedNext = residues.map((r, k) => {
    const nx = residues[k + 1];
    if (!nx || nx.chainId !== r.chainId || base[k] === null || base[k + 1] === null) return false;
    const c = names[k].get('C');
    const nn = names[k + 1].get('N');
    return c !== undefined && nn !== undefined && dist(x, c, nn) < PEPTIDE_MAX;
  });

  // Histidine tautomer from its hydrogens; a cysteine without HG is CYX when its SG meets another, else CYM.
  const sg = residues.map((_, k) => (base[k] === 'CYS' || base[k] === 'CYX' ? names[k].get('SG') : undefined));
  const ssPartner = new Int32Array(residues.length).fill(-1);
  for (let a = 0; a < residues.length; a++) {
    const ia = sg[a];
    if (ia === undefined || names[a].has('HG')) continue;
    for (let b = a + 1; b < residues.length; b++) {
      const ib = sg[b];
      if (ib === undefined || names[b].has('HG') || ssPartner[b] >= 0) continue;
      if (dist(x, ia, ib) < SS_MAX) { ssPartner[a] = b; ssPartner[b] = a; break; }
    }
  }
  for (let k = 0; k < residues.length; k++) {
    const b = base[k];
    if (b === 'HIS' || b === 'HID' || b === 'HIE' || b === 'HIP') {
      const d1 = names[k].has('HD1');
      const e2 = names[k].has('HE2');
      base[k] = d1 && e2 ? 'HIP' : d1 ? 'HID' : 'HIE';
    } else if ((b === 'CYS' || b === 'CYX' || b === 'CYM') && !names[k].has('HG')) base[k] = ssPartner[k] >= 0 ? 'CYX' : 'CYM';
  }

  const choices: ResidueChoice[] = residues.map((r, k) => {
    const b = base[k];
    if (b === null) return { entry: null, atoms: names[k], reason: `no AMBER99SB-ILDN entry for ${r.resName}` };
    const nTerm = k === 0 || !linkedNext[k - 1];
    const cTerm = !linkedNext[k];
    if (nTerm && cTerm) return { entry: null, atoms: names[k], reason: 'a residue on its own (no terminal entry is both N and C)' };
    const entryName = `${nTerm ? 'N' : cTerm ? 'C' : ''}${b}`;
    const entry = table.residues[entryName];
    if (!entry) return { entry: null, atoms: names[k], reason: `no AMBER99SB-ILDN entry ${entryName}` };
    const atoms = new Map<string, number>();
    for (const [nm, i] of names[k]) {
      // the port names the C-terminal oxygens OC1/OC2 (pdb2gmx's xlateat.dat)
      atoms.set(cTerm && nm === 'O' ? 'OC1' : cTerm && nm === 'OXT' ? 'OC2' : nm, i);
    }
    const missing = entry.atoms.filter(([nm]) => !atoms.has(nm)).map(([nm]) => nm);
    const extra = [...atoms.keys()].filter((nm) => !entry.atoms.some(([e]) => e === nm));
    if (missing.length > 0 || extra.length > 0) {
      const parts = [];
      if (missing.length > 0) parts.push(`missing ${missing.slice(0, 6).join(' ')}${missing.length > 6 ? ' …' : ''}`);
      if (extra.length > 0) parts.push(`not in ${entryName}: ${extra.slice(0, 6).join(' ')}${extra.length > 6 ? ' …' : ''}`);
      return { entry: null, atoms, reason: parts.join('; ') };
    }
    return { entry, atoms, reason: '' };
  });

  const charge = new Float64Array(n);
  const sigma = new Float64Array(n);
  const epsilon = new Float64Array(n);
  const type: string[] = new Array(n).fill('');
  const movable = new Uint8Array(n);
  const heavy = new Uint8Array(n);
  const hasNonbonded = new Uint8Array(n);
  const ok = choices.map((c) => c.entry !== null);
  for (let k = 0; k < residues.length; k++) {
    const c = choices[k];
    if (!c.entry) continue;
    for (const [nm, t, q] of c.entry.atoms) {
      const i = c.atoms.get(nm)!;
      const lj = table.types[t];
      type[i] = t;
      charge[i] = q;
      sigma[i] = lj[0] * 10;
      epsilon[i] = lj[1];
      movable[i] = 1;
      hasNonbonded[i] = 1;
      heavy[i] = t[0] === 'H' ? 0 : 1; // every AMBER hydrogen type starts with H (H, HC, H1, HO, HP, …)
    }
  }

  // Held residues (no entry: lipids, sterols, ligands, water) stay where they are but are felt: each atom gets the
  // Lennard-Jones parameters of its element's commonest AMBER type and no charge, so nothing is pushed into them.
  for (let k = 0; k < residues.length; k++) {
    if (choices[k].entry) continue;
    const r = residues[k];
    for (let i = r.start; i < r.end; i++) {
      const lj = table.types[HELD_TYPE[s.atoms.element[i].toUpperCase()] ?? 'CT'] ?? table.types.CT;
      sigma[i] = lj[0] * 10;
      epsilon[i] = lj[1];
      hasNonbonded[i] = 1;
    }
  }

  // Bonds, with the atoms each residue's entry names.
  const adj: number[][] = Array.from({ length: n }, () => []);
  const bondPairs: [number, number][] = [];
  const atomOf = (k: number, nm: string): number | undefined => {
    if (nm.startsWith('-')) return k > 0 && linkedNext[k - 1] && ok[k - 1] ? choices[k - 1].atoms.get(nm.slice(1)) : undefined;
    if (nm.startsWith('+')) return linkedNext[k] && ok[k + 1] ? choices[k + 1].atoms.get(nm.slice(1)) : undefined;
    return choices[k].atoms.get(nm);
  };
  const addBond = (i: number, j: number) => {
    if (adj[i].includes(j)) return;
    adj[i].push(j);
    adj[j].push(i);
    bondPairs.push([i, j]);
  };
  for (let k = 0; k < residues.length; k++) {
    const e = choices[k].entry;
    if (!e) continue;
    for (const [a, b] of e.bonds) {
      const i = atomOf(k, a);
      const j = atomOf(k, b);
      if (i !== undefined && j !== undefined) addBond(i, j);
    }
    const p = ssPartner[k];
    if (p > k && ok[p] && base[k] === 'CYX' && base[p] === 'CYX') addBond(choices[k].atoms.get('SG')!, choices[p].atoms.get('SG')!);
  }

  const problems = new Map<number, string>(); // residue → missing parameter
  const flag = (atoms: number[], what: string) => {
    for (const i of atoms) if (!problems.has(residueOf[i])) problems.set(residueOf[i], what);
  };

  const bondI: number[] = [], bondJ: number[] = [], bondR0: number[] = [], bondK: number[] = [];
  for (const [i, j] of bondPairs) {
    const p = table.bonds[`${type[i]} ${type[j]}`] ?? table.bonds[`${type[j]} ${type[i]}`];
    if (!p) { flag([i, j], `no bond type ${type[i]}-${type[j]}`); continue; }
    bondI.push(i); bondJ.push(j); bondR0.push(p[0] * 10); bondK.push(p[1] / 100);
  }

  const angleI: number[] = [], angleJ: number[] = [], angleK: number[] = [], angleT0: number[] = [], angleKt: number[] = [];
  for (let j = 0; j < n; j++) {
    const nb = adj[j];
    for (let a = 0; a < nb.length; a++)
      for (let b = a + 1; b < nb.length; b++) {
        const i = nb[a];
        const k = nb[b];
        const p = table.angles[`${type[i]} ${type[j]} ${type[k]}`] ?? table.angles[`${type[k]} ${type[j]} ${type[i]}`];
        if (!p) { flag([i, j, k], `no angle type ${type[i]}-${type[j]}-${type[k]}`); continue; }
        angleI.push(i); angleJ.push(j); angleK.push(k); angleT0.push(p[0] * DEG); angleKt.push(p[1]);
      }
  }

  // Proper torsions: every i-j-k-l over every bond j-k; a residue's own torsions replace the type-based ones.
  const own = new Map<string, TorsionTerm[]>();
  for (let k = 0; k < residues.length; k++) {
    const e = choices[k].entry;
    if (!e) continue;
    for (const [a, b, c, d, ph, kt, mult] of e.dihedrals) {
      const q = [a, b, c, d].map((nm) => atomOf(k, nm));
      if (q.some((v) => v === undefined)) continue;
      const key = torsionKey(q as number[]);
      const list = own.get(key) ?? [];
      list.push([ph, kt, mult]);
      own.set(key, list);
    }
  }
  const tor = { i: [] as number[], j: [] as number[], k: [] as number[], l: [] as number[], ph: [] as number[], kt: [] as number[], n: [] as number[] };
  const pushTorsion = (q: number[], terms: TorsionTerm[]) => {
    for (const [ph, kt, mult] of terms) {
      if (kt === 0) continue;
      tor.i.push(q[0]); tor.j.push(q[1]); tor.k.push(q[2]); tor.l.push(q[3]);
      tor.ph.push(ph * DEG); tor.kt.push(kt); tor.n.push(mult);
    }
  };
  const pairs14 = new Set<number>();
  const pairKey = (a: number, b: number) => (a < b ? a * n + b : b * n + a);
  for (const [j, k] of bondPairs) {
    for (const i of adj[j]) {
      if (i === k) continue;
      for (const l of adj[k]) {
        if (l === j || l === i) continue;
        const q = [i, j, k, l];
        const terms = own.get(torsionKey(q)) ?? matchTorsion(table.propers, q.map((a) => type[a]));
        if (!terms) { flag(q, `no torsion type ${q.map((a) => type[a]).join('-')}`); continue; }
        pushTorsion(q, terms);
        pairs14.add(pairKey(i, l));
      }
    }
  }
  const properCount = tor.i.length;
  for (let k = 0; k < residues.length; k++) {
    const e = choices[k].entry;
    if (!e) continue;
    for (const names4 of e.impropers) {
      const q = names4.map((nm) => atomOf(k, nm));
      if (q.some((v) => v === undefined)) continue;
      const terms = matchTorsion(table.impropers, (q as number[]).map((a) => type[a]));
      // grompp refuses an improper without a type; none of the port's amino-acid impropers lacks one
      if (!terms) { flag(q as number[], `no improper type ${(q as number[]).map((a) => type[a]).join('-')}`); continue; }
      pushTorsion(q as number[], terms);
    }
  }

  // Exclusions: 1-2, 1-3 (and 1-4, which the pair list handles with its scaling).
  const excl: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  for (let a = 0; a < n; a++) {
    for (const b of adj[a]) {
      excl[a].add(b);
      for (const c of adj[b]) if (c !== a) excl[a].add(c);
    }
  }
  const pairI: number[] = [];
  const pairJ: number[] = [];
  for (const key of pairs14) {
    const a = Math.floor(key / n);
    const b = key % n;
    if (excl[a].has(b)) continue; // in a ring a 1-4 atom can also be 1-3
    pairI.push(a); pairJ.push(b);
    excl[a].add(b); excl[b].add(a);
  }
  const exclStart = new Int32Array(n + 1);
  for (let a = 0; a < n; a++) exclStart[a + 1] = exclStart[a] + excl[a].size;
  const exclList = new Int32Array(exclStart[n]);
  for (let a = 0; a < n; a++) exclList.set([...excl[a]].sort((u, v) => u - v), exclStart[a]);

  // Residues with a missing parameter are frozen too (grompp would refuse them).
  const frozen: FrozenResidue[] = [];
  for (let k = 0; k < residues.length; k++) {
    const r = residues[k];
    const reason = choices[k].entry ? problems.get(k) : choices[k].reason;
    if (!reason) continue;
    frozen.push({ chainId: r.chainId, resSeq: r.resSeq, iCode: r.iCode, resName: r.resName, reason });
    if (choices[k].entry) for (let i = r.start; i < r.end; i++) movable[i] = 0;
  }

  const i32 = (a: number[]) => Int32Array.from(a);
  const f64 = (a: number[]) => Float64Array.from(a);
  return {
    n, residueOf, residueCount: residues.length, movable, heavy, hasNonbonded, charge, sigma, epsilon,
    bondI: i32(bondI), bondJ: i32(bondJ), bondR0: f64(bondR0), bondK: f64(bondK),
    angleI: i32(angleI), angleJ: i32(angleJ), angleK: i32(angleK), angleT0: f64(angleT0), angleKt: f64(angleKt),
    torI: i32(tor.i), torJ: i32(tor.j), torK: i32(tor.k), torL: i32(tor.l), torPhase: f64(tor.ph), torKt: f64(tor.kt), torN: f64(tor.n),
    properCount, pairI: i32(pairI), pairJ: i32(pairJ), fudgeLJ: table.fudgeLJ, fudgeQQ: table.fudgeQQ,
    exclStart, exclList, frozen, parametrisedResidues: residues.length - frozen.length,
  };
}

function hasName(s: Structure, r: Residue, name: string): boolean {
  for (let i = r.start; i < r.end; i++) if (s.atoms.name[i] === name) return true;
  return false;
}

/** Same key for a torsion read either way round. */
function torsionKey(q: number[]): string {
  return q[0] < q[3] ? q.join(',') : [...q].reverse().join(',');
}

/** grompp's choice: the first type, read either way, with the most non-wildcard matches. */
function matchTorsion(types: AmberTable['propers'], t: string[]): TorsionTerm[] | null {
  let best: TorsionTerm[] | null = null;
  let bestScore = -1;
  for (const e of types) {
    let score = -1;
    for (const rev of [false, true]) {
      let s = 0;
      let ok = true;
      for (let a = 0; a < 4; a++) {
        const want = e[rev ? 3 - a : a];
        if (want === 'X') continue;
        if (want !== t[a]) { ok = false; break; }
        s++;
      }
      if (ok && s > score) score = s;
    }
    if (score > bestScore) { bestScore = score; best = e[4]; if (score === 4) break; }
  }
  return best;
}
