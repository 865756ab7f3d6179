/**
 * How the 9-bead cholesterol of mappings/lipids.ts was chosen: OUR fit, not a published atom list. The Martini 3
 * sterol paper's topology (../shared/data/mappings/m3_sterols/martini_v3.0_sterols_v1.0.itp) gives the bead geometry
 * but no atom → bead table, so this script
 *  1. builds the model's rigid beads from the itp: the R1–R2–C1 triangle from the three constraint lengths, ROH and
 *     R3–R6 from the `virtual_sites3` (func 4: x = x_C1 + a r(C1,R2) + b r(C1,R1) + c r(C1,R2) × r(C1,R1)), and
 *     checks them against the real CHOL beads of test/fixtures/martini3-bilayer/bilayer.gro (GROMACS output); C2
 *     (bonded to C1, flexible) is placed at the fixture's mean C2 in the rigid frame;
 *  2. maps the CHARMM36 cholesterols of the NMRlipids POPC/cholesterol bilayers (20 % and 50 %; the training leaflet,
 *     head below the molecule's centre; the held-out +z leaflet only as a check) with a candidate assignment, bead
 *     centres weighted as the martini3 set weighs them (C 12, O 16, hydrogens 0), and superposes the model onto each
 *     molecule's mapped centres (Kabsch, proper rotation): the mismatch is the rms over beads and molecules;
 *  3. searches assignments that keep each bead's heavy atoms bonded together, every heavy atom in one bead: local
 *     search by swaps with the Martini 3 bead sizes as heavy-atom counts (regular 4: ROH, C1, C2; small 3: R1–R4;
 *     tiny 2: R5, R6; 4 + 12 + 4 + 8 = 28, cholesterol's heavy atoms), and without the size rule (moves of one
 *     boundary atom, 1–5 atoms per bead), from the current mapping and random starts.
 * Usage: node --import tsx mappings/cholesterol-fit.ts [--starts 200] [--show 3] [--data-root DIR]
 *        node --import tsx mappings/cholesterol-fit.ts --template [martini3 | MAPPING_FOLDER]
 * The second form measures instead what the template backmapper gives for CHL1 with that set (the held-out +z leaflet
 * of the NMRlipids 20 % and 50 % cholesterol bilayers, as bench:accuracy's `lipids` route: median / mean heavy-atom
 * RMSD without superposition) and how many of its rebuilt ring C–C single bonds lie in 1.45–1.65 Å.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStructureFile } from '../src/core/structure/read';
import { residuesOf } from '../src/core/structure/builder';
import { sharedDataRoot } from '../src/core/dataset/tsv';
import { makeResiduesWhole } from '../src/core/dataset/lipids';
import { LIPIDS } from '../src/core/chemistry/lipids';
import { kabsch } from '../src/core/geometry/kabsch';
import { martiniPartition } from './lipids';
import { loadMappingSet } from '../src/core/mapping/load';
import { CHARMM36_MEMBRANES, lipidAccuracy, loadMembrane } from '../src/core/dataset/lipids';
import { templateVectors } from '../src/core/template';
import { reconstructCoords, reconstructionTopology } from '../src/core/reconstruct';

const arg = (n: string) => {
  const i = process.argv.indexOf(`--${n}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const dataRoot = arg('data-root') ?? sharedDataRoot();
if (!dataRoot) throw new Error('shared data not found (../shared/data or --data-root)');
const starts = Number(arg('starts') ?? 200);
const show = Number(arg('show') ?? 3);
if (process.argv.includes('--template')) {
  templateCheck(arg('template') ?? 'martini3');
  process.exit(0);
}

const BEADS = ['ROH', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'C1', 'C2'];
const RIGID = 8; // ROH, R1–R6, C1: one rigid body in the itp; C2 hangs on C1 by a bond
const SIZES = [4, 3, 3, 3, 3, 2, 2, 4, 4];
type V = [number, number, number];
const sub = (a: V, b: V): V => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const cross = (a: V, b: V): V => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: V) => Math.hypot(...a);

// 1. The itp's rigid beads (Å).
const itp = readFileSync(join(dataRoot, 'mappings/m3_sterols/martini_v3.0_sterols_v1.0.itp'), 'utf8');
const section = (name: string) => {
  const m = itp.match(new RegExp(`\\[ ${name} \\]([\\s\\S]*?)(?=\\n\\[|\\n#|$)`));
  return (m?.[1] ?? '').split('\n').map((l) => l.replace(/;.*/, '').trim()).filter(Boolean).map((l) => l.split(/\s+/).map(Number));
};
const constraints = section('constraints');
const len = (i: number, j: number) => 10 * constraints.find((c) => (c[0] === i && c[1] === j) || (c[0] === j && c[1] === i))![3];
// Atom numbers in the itp: 1 ROH, 2 R1, 3 R2, 4 R3, 5 R4, 6 R5, 7 R6, 8 C1, 9 C2.
const dC1R2 = len(8, 3), dC1R1 = len(8, 2), dR2R1 = len(3, 2);
const model: V[] = new Array(9);
model[7] = [0, 0, 0];
model[2] = [dC1R2, 0, 0];
const x1 = (dC1R1 ** 2 - dR2R1 ** 2 + dC1R2 ** 2) / (2 * dC1R2);
model[1] = [x1, Math.sqrt(dC1R1 ** 2 - x1 ** 2), 0];
for (const [s, i, j, k, , a, b, c] of section('virtual_sites3')) {
  if (i !== 8 || j !== 3 || k !== 2) throw new Error('unexpected virtual-site frame');
  const rij = sub(model[j - 1], model[i - 1]);
  const rik = sub(model[k - 1], model[i - 1]);
  const rx = cross(rij, rik);
  // c is in nm⁻¹: the cross product of two Å vectors is scaled by c / 10.
  model[s - 1] = [0, 1, 2].map((d) => model[i - 1][d] + a * rij[d] + b * rik[d] + (c / 10) * rx[d]) as V;
}

// The fixture's CHOL beads: the virtual sites must come out of the same construction, and C2's mean place.
const fixture = readStructureFile('test/fixtures/martini3-bilayer/bilayer.gro');
const cgChols: V[][] = [];
for (const r of residuesOf(fixture.atoms)) {
  if (r.resName !== 'CHOL') continue;
  const at = new Map<string, V>();
  for (let i = r.start; i < r.end; i++) at.set(fixture.atoms.name[i], [fixture.coords[3 * i], fixture.coords[3 * i + 1], fixture.coords[3 * i + 2]]);
  cgChols.push(BEADS.map((b) => at.get(b)!));
}
const flat = (ps: V[]) => Float64Array.from(ps.flatMap((p) => p));
const apply = (R: number[], t: number[], p: V): V => [0, 1, 2].map((d) => R[3 * d] * p[0] + R[3 * d + 1] * p[1] + R[3 * d + 2] * p[2] + t[d]) as V;
let rigidRms = 0;
const c2 = [0, 0, 0];
for (const c of cgChols) {
  const k = kabsch(flat(c.slice(0, RIGID)), flat(model.slice(0, RIGID)));
  rigidRms += k.rmsd ** 2;
  const p = apply(k.R, k.t, c[8]);
  for (let d = 0; d < 3; d++) c2[d] += p[d] / cgChols.length;
}
model[8] = c2 as V;
console.log(`itp rigid beads vs the fixture's ${cgChols.length} CHOL (8 beads, Kabsch): rms ${Math.sqrt(rigidRms / cgChols.length).toFixed(3)} Å; ` +
  `C1–C2 of the mean C2 ${norm(sub(model[8], model[7])).toFixed(2)} Å (itp bond 4.40)`);

// 2. CHARMM36 cholesterols, heavy atoms and hydrogens, split by leaflet.
const topo = LIPIDS.CHL1;
const heavy = topo.atoms;
const hydrogenParent = new Map(topo.hydrogens.flatMap((h) => h.names.map((n) => [n, h.parent] as const)));
interface Chol { heavy: Float64Array; h: { parent: number; xyz: V }[]; heldOut: boolean }
const chols: Chol[] = [];
for (const path of ['POPCchol/chol20pct/POPC_20CHOL.gro.gz', 'POPCchol/chol50pct/POPC_50CHOL.gro.gz']) {
  const aa = readStructureFile(join(dataRoot, 'raw/membranes/nmrlipids_charmm36_popc_chol', path));
  makeResiduesWhole(aa);
  for (const r of residuesOf(aa.atoms)) {
    if (r.resName !== 'CHL1' && r.resName !== 'CHL') continue;
    const xyz = new Float64Array(3 * heavy.length).fill(NaN);
    const h: Chol['h'] = [];
    for (let i = r.start; i < r.end; i++) {
      const p: V = [aa.coords[3 * i], aa.coords[3 * i + 1], aa.coords[3 * i + 2]];
      const name = aa.atoms.name[i];
      const k = heavy.indexOf(name);
      if (k >= 0) xyz.set(p, 3 * k);
      else if (hydrogenParent.has(name)) h.push({ parent: heavy.indexOf(hydrogenParent.get(name)!), xyz: p });
    }
    if (xyz.some(Number.isNaN)) throw new Error(`${path}: cholesterol ${r.resSeq} lacks heavy atoms`);
    let zc = 0;
    for (let k = 0; k < heavy.length; k++) zc += xyz[3 * k + 2] / heavy.length;
    chols.push({ heavy: xyz, h, heldOut: xyz[3 * heavy.indexOf('O3') + 2] > zc });
  }
}
const train = chols.filter((c) => !c.heldOut);
const held = chols.filter((c) => c.heldOut);
console.log(`CHARMM36 cholesterols: ${train.length} training leaflet, ${held.length} held-out leaflet`);

const mass = heavy.map((a) => (a[0] === 'O' ? 16 : 12));
const modelFlat = flat(model);
const modelRigid = flat(model.slice(0, RIGID));

/** rms (Å) over beads and molecules of the model superposed on the mapped centres; `nb` beads (8 rigid or all 9). */
function mismatch(assign: number[], set: Chol[], nb = RIGID, withH = false): number {
  let s = 0;
  const centres = new Float64Array(27);
  const w = new Float64Array(9);
  for (const c of set) {
    centres.fill(0);
    w.fill(0);
    for (let k = 0; k < heavy.length; k++) {
      const b = assign[k];
      w[b] += mass[k];
      for (let d = 0; d < 3; d++) centres[3 * b + d] += mass[k] * c.heavy[3 * k + d];
    }
    if (withH) for (const h of c.h) {
      const b = assign[h.parent];
      w[b] += 1;
      for (let d = 0; d < 3; d++) centres[3 * b + d] += h.xyz[d];
    }
    for (let b = 0; b < 9; b++) for (let d = 0; d < 3; d++) centres[3 * b + d] /= w[b];
    const k = kabsch(nb === RIGID ? modelRigid : modelFlat, centres.subarray(0, 3 * nb));
    s += k.rmsd ** 2;
  }
  return Math.sqrt(s / set.length);
}

/** rms (Å) of each fixture CHOL (all 9 beads, its own C2) superposed on each training molecule's mapped centres. */
function fixtureMismatch(assign: number[]): number {
  let s = 0;
  let n = 0;
  for (const c of train) {
    const centres = new Float64Array(27);
    const w = new Float64Array(9);
    for (let k = 0; k < heavy.length; k++) {
      w[assign[k]] += mass[k];
      for (let d = 0; d < 3; d++) centres[3 * assign[k] + d] += mass[k] * c.heavy[3 * k + d];
    }
    for (let b = 0; b < 27; b++) centres[b] /= w[Math.floor(b / 3)];
    for (const cg of cgChols) {
      s += kabsch(flat(cg), centres).rmsd ** 2;
      n++;
    }
  }
  return Math.sqrt(s / n);
}

// 3. Assignments: contiguity on the heavy-atom bond graph.
const adj = heavy.map(() => [] as number[]);
for (const [a, b] of topo.bonds) {
  adj[heavy.indexOf(a)].push(heavy.indexOf(b));
  adj[heavy.indexOf(b)].push(heavy.indexOf(a));
}
function contiguous(assign: number[], bead: number): boolean {
  const members = assign.flatMap((b, k) => (b === bead ? [k] : []));
  if (!members.length) return false;
  const seen = new Set([members[0]]);
  const stack = [members[0]];
  while (stack.length) for (const n of adj[stack.pop()!]) if (assign[n] === bead && !seen.has(n)) { seen.add(n); stack.push(n); }
  return seen.size === members.length;
}
const fromPartition = (p: [string, string[]][]) => {
  const a = new Array<number>(heavy.length).fill(-1);
  for (const [b, atoms] of p) for (const x of atoms) a[heavy.indexOf(x)] = BEADS.indexOf(b);
  return a;
};
const describe = (a: number[]) => BEADS.map((b, i) => `${b} ${a.flatMap((x, k) => (x === i ? [heavy[k]] : [])).join(' ')}`).join(' | ');

// mulberry32: a fixed seed, so the search is repeatable.
let seed = 12345;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** A random start: `from` after `steps` random swaps (sizes kept) or boundary moves (1–5 atoms per bead) that keep beads contiguous. */
function randomWalk(from: number[], keepSizes: boolean, steps: number): number[] {
  const a = [...from];
  for (let done = 0, guard = 0; done < steps && guard < 100 * steps; guard++) {
    const i = Math.floor(rand() * heavy.length);
    const j = keepSizes ? Math.floor(rand() * heavy.length) : adj[i][Math.floor(rand() * adj[i].length)];
    if (a[i] === a[j]) continue;
    const b = [...a];
    b[i] = a[j];
    if (keepSizes) b[j] = a[i];
    else if (b.filter((x) => x === a[j]).length > 5) continue;
    if (!contiguous(b, a[i]) || !contiguous(b, a[j])) continue;
    a.splice(0, a.length, ...b);
    done++;
  }
  return a;
}

/** Steepest descent on the training mismatch: swaps (sizes kept) or single boundary moves (1–5 atoms per bead). */
function descend(a: number[], keepSizes: boolean): [number[], number] {
  let best = mismatch(a, train);
  for (;;) {
    let move: number[] | undefined;
    let moveScore = best;
    const tryOne = (b: number[], changed: number[]) => {
      if (!changed.every((x) => contiguous(b, x))) return;
      const s = mismatch(b, train);
      if (s < moveScore - 1e-9) { moveScore = s; move = b; }
    };
    // Relabelling: two beads trade names (equal sizes only when sizes are kept).
    for (let x = 0; x < 9; x++) for (let y = x + 1; y < 9; y++) {
      if (keepSizes && SIZES[x] !== SIZES[y]) continue;
      tryOne(a.map((b) => (b === x ? y : b === y ? x : b)), []);
    }
    if (keepSizes) {
      for (let i = 0; i < heavy.length; i++) for (let j = i + 1; j < heavy.length; j++) {
        if (a[i] === a[j]) continue;
        const b = [...a];
        b[i] = a[j];
        b[j] = a[i];
        tryOne(b, [a[i], a[j]]);
      }
    } else {
      for (let i = 0; i < heavy.length; i++) for (const n of adj[i]) {
        if (a[n] === a[i]) continue;
        const b = [...a];
        b[i] = a[n];
        const size = b.filter((x) => x === a[n]).length;
        if (size > 5) continue;
        tryOne(b, [a[i], a[n]]);
      }
    }
    if (!move) return [a, best];
    a = move;
    best = moveScore;
  }
}

const current = fromPartition(martiniPartition(topo));
const swapped = current.map((b) => (b === 5 ? 6 : b === 6 ? 5 : b));
// One partition with the Martini sizes, the start of the sized search (each bead bonded together).
const sized = fromPartition([
  ['ROH', ['O3', 'C3', 'C2', 'C1']], ['R1', ['C4', 'C5', 'C6']], ['R2', ['C7', 'C8', 'C14']], ['R3', ['C9', 'C11', 'C12']],
  ['R4', ['C15', 'C16', 'C17']], ['R5', ['C10', 'C19']], ['R6', ['C13', 'C18']], ['C1', ['C20', 'C21', 'C22', 'C23']], ['C2', ['C24', 'C25', 'C26', 'C27']],
]);
const report = (label: string, a: number[]) =>
  console.log(`${label}: training ${mismatch(a, train).toFixed(3)} Å, held-out ${mismatch(a, held).toFixed(3)} Å (8 rigid beads); ` +
    `9 beads ${mismatch(a, train, 9).toFixed(3)} Å; fixture CHOL ${fixtureMismatch(a).toFixed(3)} Å; hydrogens in the centres ${mismatch(a, train, RIGID, true).toFixed(3)} Å\n  ${describe(a)}`);
report('current (R5 = C18, R6 = C19)', current);
report('R5/R6 swapped', swapped);

for (const keepSizes of [true, false]) {
  const found = new Map<string, [number[], number]>();
  const first = keepSizes ? sized : current;
  const runs = [first, ...(keepSizes ? [] : [swapped])];
  for (let s = 0; s < starts; s++) runs.push(randomWalk(first, keepSizes, 40));
  for (const r of runs) {
    const [a, score] = descend(r, keepSizes);
    found.set(a.join(','), [a, score]);
  }
  const ranked = [...found.values()].sort((x, y) => x[1] - y[1]);
  console.log(`\n${keepSizes ? 'Martini bead sizes (4,3,3,3,3,2,2,4,4)' : 'free sizes (1–5)'}: ${runs.length} starts, ${ranked.length} local optima; best ${show}:`);
  for (const [a] of ranked.slice(0, show)) report('  optimum', a);
}

/** The template backmapper's CHL1 on the held-out leaflets of the cholesterol bilayers, with the set `setId`. */
function templateCheck(setId: string): void {
  const set = loadMappingSet(setId);
  const rmsd: number[] = [];
  let ring = 0;
  let ringOk = 0;
  // Ring single bonds (C5=C6 is the double bond, about 1.34 Å).
  const ringBonds = LIPIDS.CHL1.bonds.filter(([a, b]) => /^C(\d|1[0-7])$/.test(a) && /^C(\d|1[0-7])$/.test(b) && `${a}${b}` !== 'C5C6');
  for (const src of CHARMM36_MEMBRANES.filter((m) => /-[1-9]\d*chol$/.test(m.id))) {
    const m = loadMembrane(dataRoot!, src, set);
    // As the pipeline rebuilds them: the template's rigid ring placed whole (its own bead centres).
    const centres = new Float64Array(m.forward.system.coords.length);
    const vectors = templateVectors(m.forward.system, { centres });
    rmsd.push(...(lipidAccuracy(m, vectors, centres).rmsd.get('CHL1') ?? []));
    const sys = m.forward.system;
    const topo = reconstructionTopology(sys);
    const xyz = reconstructCoords(sys, vectors);
    const at = new Map<string, number>();
    for (let o = 0; o < topo.count; o++) at.set(`${topo.residue[o]}:${topo.names[o]}`, o);
    sys.residues.forEach((res, r) => {
      if (res.molecule.name !== 'CHL1' || !m.heldOut[r]) return;
      for (const [a, b] of ringBonds) {
        const x = at.get(`${r}:${a}`)!;
        const y = at.get(`${r}:${b}`)!;
        const d = Math.hypot(xyz[3 * x] - xyz[3 * y], xyz[3 * x + 1] - xyz[3 * y + 1], xyz[3 * x + 2] - xyz[3 * y + 2]);
        ring++;
        if (d >= 1.45 && d <= 1.65) ringOk++;
      }
    });
  }
  const sorted = [...rmsd].sort((a, b) => a - b);
  console.log(`template CHL1 with '${setId}' (hash ${set.hash.slice(0, 12)}): ${rmsd.length} held-out cholesterols, median ${sorted[Math.floor(sorted.length / 2)].toFixed(3)} Å, ` +
    `mean ${(rmsd.reduce((s, x) => s + x, 0) / rmsd.length).toFixed(3)} Å; ring C–C single bonds in 1.45–1.65 Å: ${ringOk}/${ring}`);
}
