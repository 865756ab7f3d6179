/**
 * How the bundled demo protein's torsions were found (run once; the result is pasted into
 * src/core/chemistry/demo-protein.ts): a designed 3-helix-bundle sequence with all 20 amino acids, helices at
 * ideal α φ/ψ, loop φ/ψ restricted to Ramachandran-allowed basins, χ1 per residue among the m/t/p
 * rotamers. Simulated annealing minimises steric overlap (pairs ≥ 4 bonds apart closer than 3.1 Å)
 * plus a compactness term (CA radius of gyration) plus helix–helix contact restraints.
 *
 *   node --import tsx examples/design-demo.ts [iterations] [seed] [packWeight]
 */
import { buildPeptide } from '../src/core/chemistry/peptide';
import { DEMO_SEQUENCE, DEMO_HELICES } from '../src/core/chemistry/demo-protein';
import { RESIDUES, ONE_TO_THREE } from '../src/core/chemistry/amino-acids';
import { cellListNeighbors } from '../src/core/geometry/neighbors';
import { residuesOf } from '../src/core/structure/builder';
import type { Structure } from '../src/core/structure/types';

const iters = Number(process.argv[2] ?? 20000);
/** Weight of the helix-packing restraint (centroids pulled within 10.5 Å). */
const packWeight = Number(process.argv[4] ?? 0.5);
let seed = Number(process.argv[3] ?? 1) >>> 0;
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const seq = DEMO_SEQUENCE;
const n = seq.length;
const inHelix = (i: number) => DEMO_HELICES.some(([a, b]) => i >= a && i <= b);
const BASINS: Record<string, [number, number][]> = {
  general: [[-63, -42], [-120, 130], [-70, 145], [-90, 0]],
  G: [[-63, -42], [80, 10], [-80, 170], [80, -170], [-120, 130]],
  N: [[-63, -42], [-120, 130], [55, 40], [-90, 0]],
  D: [[-63, -42], [-120, 130], [55, 40], [-90, 0]],
  P: [[-65, -35], [-65, 145]],
};
const phi = new Array<number>(n), psi = new Array<number>(n), chi1 = new Array<number>(n);
for (let i = 0; i < n; i++) {
  phi[i] = -62; psi[i] = -41;
  chi1[i] = RESIDUES[ONE_TO_THREE[seq[i]]].defaultChi[0] ?? 0;
}
const loop = [...Array(n).keys()].filter((i) => !inHelix(i));
for (const i of loop) { const b = basinsOf(i)[0]; phi[i] = b[0]; psi[i] = b[1]; }
function basinsOf(i: number) {
  return BASINS[seq[i]] ?? BASINS.general;
}
const ROT = [-65, 180, 62];

function build(): Structure {
  return buildPeptide(seq, { phi, psi, chi: chi1.map((c) => [c]) });
}
/** Pairs within 3 bonds (topology + peptide bonds): never counted as overlaps. */
const excluded = (() => {
  const s = build();
  const res = residuesOf(s.atoms);
  const adj: number[][] = Array.from({ length: s.atoms.count }, () => []);
  const idx = (r: number, name: string) => { for (let i = res[r].start; i < res[r].end; i++) if (s.atoms.name[i] === name) return i; return -1; };
  for (const r of res) {
    const bonds = [...RESIDUES[r.resName].bonds, ['C', 'OXT']];
    for (const [a, b] of bonds) { const i = idx(r.index, a), j = idx(r.index, b); if (i >= 0 && j >= 0) { adj[i].push(j); adj[j].push(i); } }
    if (r.index > 0) { const i = idx(r.index - 1, 'C'), j = idx(r.index, 'N'); adj[i].push(j); adj[j].push(i); }
  }
  const set = new Set<number>();
  for (let i = 0; i < s.atoms.count; i++) {
    let frontier = [i];
    const seen = new Set([i]);
    for (let d = 0; d < 3; d++) {
      const nx: number[] = [];
      for (const u of frontier) for (const v of adj[u]) if (!seen.has(v)) { seen.add(v); nx.push(v); }
      frontier = nx;
    }
    for (const j of seen) set.add(i * s.atoms.count + j);
  }
  return set;
})();
function energy(s: Structure): { e: number; clash: number; minD: number } {
  const nb = cellListNeighbors(s.coords, 3.1, 48);
  let clash = 0, minD = Infinity;
  for (let i = 0; i < s.atoms.count; i++)
    for (let k = 0; k < nb.count[i]; k++) {
      const j = nb.index[i * 48 + k];
      if (j <= i || excluded.has(i * s.atoms.count + j)) continue;
      const d = Math.hypot(s.coords[3 * i] - s.coords[3 * j], s.coords[3 * i + 1] - s.coords[3 * j + 1], s.coords[3 * i + 2] - s.coords[3 * j + 2]);
      // backbone H-bond pairs (N/O) may approach 2.7 Å
      const lim = (s.atoms.element[i] === 'O' && s.atoms.element[j] === 'N') || (s.atoms.element[i] === 'N' && s.atoms.element[j] === 'O') || (s.atoms.element[i] === 'O' && s.atoms.element[j] === 'O') ? 2.7 : 3.1;
      if (d < lim) clash += (lim - d) ** 2;
      minD = Math.min(minD, d);
    }
  const ca: number[] = [];
  for (let i = 0; i < s.atoms.count; i++) if (s.atoms.name[i] === 'CA') ca.push(i);
  let cx = 0, cy = 0, cz = 0;
  for (const i of ca) { cx += s.coords[3 * i]; cy += s.coords[3 * i + 1]; cz += s.coords[3 * i + 2]; }
  cx /= ca.length; cy /= ca.length; cz /= ca.length;
  let rg2 = 0;
  for (const i of ca) rg2 += (s.coords[3 * i] - cx) ** 2 + (s.coords[3 * i + 1] - cy) ** 2 + (s.coords[3 * i + 2] - cz) ** 2;
  rg2 /= ca.length;
  // helix centroids ~10 Å apart (packed bundle)
  const cen = DEMO_HELICES.map(([a, b]) => {
    let x = 0, y = 0, z = 0;
    for (let r = a; r <= b; r++) { const i = ca[r]; x += s.coords[3 * i]; y += s.coords[3 * i + 1]; z += s.coords[3 * i + 2]; }
    const m = b - a + 1;
    return [x / m, y / m, z / m];
  });
  let pack = 0;
  for (let p = 0; p < cen.length; p++) for (let q = p + 1; q < cen.length; q++) {
    const d = Math.hypot(cen[p][0] - cen[q][0], cen[p][1] - cen[q][1], cen[p][2] - cen[q][2]);
    if (d > 10.5) pack += (d - 10.5) ** 2;
  }
  return { e: 30 * clash + 0.05 * rg2 + packWeight * pack, clash, minD };
}

let cur = energy(build());
let best = { e: cur.e, phi: phi.slice(), psi: psi.slice(), chi1: chi1.slice(), clash: cur.clash, minD: cur.minD };
for (let it = 0; it < iters; it++) {
  const T = 5 * Math.pow(0.01 / 5, it / iters);
  const sp = phi.slice(), ss = psi.slice(), sc = chi1.slice();
  if (rand() < 0.6) {
    const i = loop[Math.floor(rand() * loop.length)];
    if (rand() < 0.3) { const bs = basinsOf(i); const b = bs[Math.floor(rand() * bs.length)]; phi[i] = b[0]; psi[i] = b[1]; }
    else { phi[i] += (rand() - 0.5) * 30; psi[i] += (rand() - 0.5) * 30; }
    // stay within 30° of some basin centre
    const ok = basinsOf(i).some(([a, b]) => Math.abs(phi[i] - a) < 30 && Math.abs(psi[i] - b) < 30);
    if (!ok) { phi[i] = sp[i]; psi[i] = ss[i]; }
  } else {
    const i = Math.floor(rand() * n);
    if (RESIDUES[ONE_TO_THREE[seq[i]]].chis.length && seq[i] !== 'P') chi1[i] = ROT[Math.floor(rand() * 3)] + (rand() - 0.5) * 20;
  }
  const e = energy(build());
  if (e.e < cur.e || rand() < Math.exp((cur.e - e.e) / T)) {
    cur = e;
    if (e.e < best.e) best = { e: e.e, phi: phi.slice(), psi: psi.slice(), chi1: chi1.slice(), clash: e.clash, minD: e.minD };
  } else {
    for (let i = 0; i < n; i++) { phi[i] = sp[i]; psi[i] = ss[i]; chi1[i] = sc[i]; }
  }
  if (it % 2000 === 0) console.error(`it ${it} T ${T.toFixed(3)} e ${cur.e.toFixed(2)} best ${best.e.toFixed(2)} clash ${best.clash.toFixed(3)} minD ${best.minD.toFixed(2)}`);
}
const r1 = (a: number[]) => a.map((x) => Math.round(x));
console.log(JSON.stringify({ e: best.e, clash: best.clash, minD: best.minD, phi: r1(best.phi), psi: r1(best.psi), chi1: r1(best.chi1) }));
