/**
 * Structure-comparison and structure-quality metrics for backmapped proteins. Heavy atoms only
 * (hydrogens are ignored everywhere). Comparisons match residues by chain and residue number when those agree, else
 * by sequence alignment per chain (`matchStructureResidues`, residue-match.ts), then atoms by name within each
 * residue pair. Thresholds and models are documented next to each function and in `METRIC_DEFINITIONS`.
 */
import type { Structure, Residue } from './structure/types';
import { InputError } from './errors';
import { residuesOf } from './structure/builder';
import { guessElement } from './structure/elements';
import { kabsch, applyTransform, type RigidTransform } from './geometry/kabsch';
import { dihedralAt, angleAt, distanceAt, angleDiff } from './geometry/dihedral';
import { cellListNeighbors } from './geometry/neighbors';
import { BACKBONE_ATOMS, type ResidueTopology } from './chemistry/amino-acids';
import { residueTopology, AMINO_ACID_NAMES, protonationParent } from './chemistry/variants';
import { engineHeavyName } from './ffnames';
import { idealGeometry, type AtomRef } from './chemistry/ideal';
import { COVALENT_RADIUS } from './chemistry/elements';
import { matchResidueLists, type ResidueEntry, type ResidueMatching } from './residue-match';

export { describeMatching, SAME_SEQUENCE_IDENTITY, type ResidueMatching } from './residue-match';

/** Thresholds used by the metrics (documented so reports can quote them). */
export const METRIC_DEFINITIONS = {
  /** clashPercent: two heavy atoms of different residues closer than this (Å). */
  clashCutoff: 1.2,
  /** bondAngleStats: Engh & Huber σ used to turn deviations into Z-scores; outlier when |Z| > outlierZ (MolProbity uses 4σ). */
  bondSigma: 0.02,
  angleSigma: 2.0,
  outlierZ: 4,
  /** Consecutive residues are bonded when C(i)–N(i+1) is shorter than this (Å); otherwise a chain break. */
  peptideBondMax: 2.0,
  /** chiAgreement: a χ angle agrees when |Δχ| is below this (degrees). */
  chiTolerance: 40,
  /** bondGraphEditDistance: two atoms are bonded when closer than factor × (sum of covalent radii). */
  bondFactor: 1.15,
  /**
   * ramachandranAgreement: (φ, ψ) regions as boxes [φmin, φmax, ψmin, ψmax] in degrees, lower bounds inclusive and
   * upper bounds exclusive (angles taken in [-180, 180)); a point in no box is 'other'. A simplified box form of the
   * regions commonly used (Lovell et al. 2003, Proteins 50:437; Hollingsworth & Karplus 2010, BioMol. Concepts
   * 1:271): αR the right-handed helical basin with the bridge region (φ -180…-20, ψ -100…50), β the extended basin
   * with polyproline II (φ -180…-40, ψ 50…180 and -180…-150), αL (φ 30…100, ψ -20…100). They are the general boxes
   * of `RAMA_REGIONS`, so 'other' is what that model calls an outlier for a residue other than glycine.
   */
  ramaRegions: {
    alphaR: [[-180, -20, -100, 50]],
    beta: [[-180, -40, 50, 180], [-180, -40, -180, -150]],
    alphaL: [[30, 100, -20, 100]],
  },
} as const;

// ---------------------------------------------------------------------------------------------
// atom helpers

/** True for hydrogen/deuterium atoms (element column, else the atom name). */
export function isHydrogen(s: Structure, i: number): boolean {
  const e = s.atoms.element[i] || guessElement(s.atoms.name[i], s.atoms.resName[i]);
  return e === 'H' || e === 'D';
}

/** Metrics on NaN coordinates would be silent garbage: name the file and line of the first bad atom. */
export function assertFiniteCoords(s: Structure): void {
  const c = s.coords;
  for (let k = 0; k < c.length; k++)
    if (!Number.isFinite(c[k])) {
      const i = Math.floor(k / 3), a = s.atoms;
      throw new InputError(`atom ${a.name[i]} of ${a.resName[i]} ${a.chainId[i]}${a.resSeq[i]}${a.iCode[i]} has a non-finite coordinate`, s.source, a.sourceLine[i] || undefined);
    }
}

/**
 * Name → atom index inside one residue (heavy atoms; first altLoc). Amino acids' heavy atoms under a force field's
 * names (OT1/OT2, ILE CD: `--names`) are keyed by their PDB names, so any output compares with a PDB reference.
 */
export function residueAtoms(s: Structure, r: Residue): Map<string, number> {
  const m = new Map<string, number>();
  const parent = protonationParent(s.atoms.resName[r.start]);
  for (let i = r.start; i < r.end; i++) {
    const name = parent ? engineHeavyName(parent, s.atoms.name[i]) : s.atoms.name[i];
    if (!m.has(name) && !isHydrogen(s, i)) m.set(name, i);
  }
  return m;
}

/**
 * The residues of `s` as the matching sees them: those of `chain` when given (a structure without that chain ID,
 * e.g. a GRO file, takes part whole), polymer = two or more heavy atoms, or the lone Cα of an amino acid (C-alpha
 * traces); waters and ions are paired by number only.
 */
export function residueEntries(s: Structure, chain?: string): ResidueEntry[] {
  const all = residuesOf(s.atoms);
  const res = chain !== undefined && all.some((r) => r.chainId === chain) ? all.filter((r) => r.chainId === chain) : all;
  const atomOf = (r: Residue, name: string) => {
    for (let i = r.start; i < r.end; i++) if (s.atoms.name[i] === name) return i;
    return undefined;
  };
  return res.map((r) => {
    let heavy = 0, ca = false;
    for (let i = r.start; i < r.end && heavy < 2; i++) if (!isHydrogen(s, i)) { heavy++; ca = s.atoms.name[i] === 'CA'; }
    // A chain break after r: the next residue's N is not bonded to r's C (only judged where both atoms exist).
    const next = all[r.index + 1];
    const c = atomOf(r, 'C'), n = next && next.chainId === r.chainId ? atomOf(next, 'N') : undefined;
    const breakAfter = c !== undefined && n !== undefined && distanceAt(s.coords, c, n) > METRIC_DEFINITIONS.peptideBondMax;
    // A lone Cα of an amino acid (a C-alpha trace) is a polymer residue too; a calcium ion (CA in CA) is not.
    const polymer = heavy >= 2 || (heavy === 1 && ca && AMINO_ACID_NAMES.has(r.resName));
    return { index: r.index, chainId: r.chainId, resSeq: r.resSeq, iCode: r.iCode, resName: r.resName, polymer, breakAfter };
  });
}

/**
 * Which residue of `model` corresponds to which of `reference`: by chain and number when they agree, else by sequence
 * alignment per chain (martinize2 renumbering, GRO files without chain IDs, a missing terminal residue). `chain`
 * restricts the reference (and the model, when it has that chain ID).
 */
export function matchStructureResidues(
  model: Structure,
  reference: Structure,
  opts: { chain?: string; method?: 'auto' | 'numbering' | 'sequence' } = {},
): ResidueMatching {
  const refEntries = residueEntries(reference).filter((e) => opts.chain === undefined || e.chainId === opts.chain);
  return matchResidueLists(residueEntries(model, opts.chain), refEntries, opts.method ?? 'auto');
}

const isBackboneName = (name: string) => name === 'N' || name === 'CA' || name === 'C' || name === 'O';
const isSidechainName = (name: string) => !BACKBONE_ATOMS.has(name);

// ---------------------------------------------------------------------------------------------
// RMSD

export interface CompareOptions {
  /** Only this chain (in both structures). */
  chain?: string;
  /** Allow the symmetric side-chain name swaps (ASP OD1/OD2, GLU OE1/OE2, PHE/TYR CD1/CD2+CE1/CE2, ARG NH1/NH2); the lower RMSD per residue is taken. */
  symmetric?: boolean;
  /** With `symmetric`, also swap LEU CD1/CD2 and VAL CG1/CG2 (not chemically equivalent; off by default). */
  methyls?: boolean;
  /** Superpose the model onto the reference first (Kabsch on matched CA atoms); default: no superposition. */
  superpose?: boolean;
  /** How residues are matched (default `auto`: by number when it agrees, else by sequence); see `matchStructureResidues`. */
  match?: 'auto' | 'numbering' | 'sequence';
  /** A matching already computed for this pair (reused, e.g. by `fullComparison`). */
  matching?: ResidueMatching;
}

export interface ResidueRmsd {
  chainId: string;
  resSeq: number;
  iCode: string;
  resName: string;
  /** Matched heavy atoms of this residue, and of them the side-chain ones. */
  matched: number;
  matched_sc: number;
  rmsd: number;
  rmsd_bb: number;
  rmsd_sc: number;
  /** True when the symmetric name swap gave the lower deviation. */
  swapped: boolean;
  /** The model residue matched to this reference residue (its own chain and number); absent when none. */
  model?: { chainId: string; resSeq: number; iCode: string; resName: string };
}

export interface CompareResult {
  /** Backbone N, CA, C, O. */
  rmsd_bb: number;
  /** Side chain: every heavy atom except N, CA, C, O, OXT (CB included). */
  rmsd_sc: number;
  /** All matched heavy atoms. */
  rmsd_all: number;
  matched: number;
  matched_bb: number;
  matched_sc: number;
  /** Reference heavy atoms with no model counterpart, and model heavy atoms with no reference counterpart. */
  missingInModel: number;
  extraInModel: number;
  perResidue: ResidueRmsd[];
  /** How residues were matched (by number, or by sequence alignment when chain IDs or numbering differ). */
  residueMatch: ResidueMatching;
  /** Present when `superpose` was requested: the transform applied to the model and the CA RMSD after it. */
  superposition?: RigidTransform & { rmsd_ca: number; nCa: number };
}

/**
 * Heavy-atom RMSDs of `model` against `reference`: residues matched by `matchStructureResidues` (by number, or by
 * sequence alignment when chain IDs or numbering differ), atoms by name within each residue pair; no superposition
 * unless `superpose` (then Kabsch on matched CA atoms moves the model). NaN where nothing matched.
 */
export function compareStructures(model: Structure, reference: Structure, opts: CompareOptions = {}): CompareResult {
  assertFiniteCoords(model);
  assertFiniteCoords(reference);
  const matching = opts.matching ?? matchStructureResidues(model, reference, { chain: opts.chain, method: opts.match });
  const modelRes = residuesOf(model.atoms);
  const allRef = residuesOf(reference.atoms);
  const refRes = allRef.filter((r) => opts.chain === undefined || r.chainId === opts.chain);
  const refAtoms = refRes.map((r) => residueAtoms(reference, r));
  // reference residue index → the matched model residue's heavy atoms by name
  const partner = new Map<number, Residue>();
  for (const [m, r] of matching.pairs) partner.set(r, modelRes[m]);
  const modelAtoms = new Map<number, Map<string, number>>();
  const atomsOfPartner = (r: Residue): Map<string, number> | undefined => {
    const m = partner.get(r.index);
    if (!m) return undefined;
    let a = modelAtoms.get(m.index);
    if (!a) modelAtoms.set(m.index, (a = residueAtoms(model, m)));
    return a;
  };
  let mc: Float64Array = model.coords;

  let superposition: CompareResult['superposition'];
  if (opts.superpose) {
    const P: number[] = [], Q: number[] = [];
    refRes.forEach((r, k) => {
      const ri = refAtoms[k].get('CA');
      const mi = atomsOfPartner(r)?.get('CA');
      if (ri === undefined || mi === undefined) return;
      P.push(mc[3 * mi], mc[3 * mi + 1], mc[3 * mi + 2]);
      Q.push(reference.coords[3 * ri], reference.coords[3 * ri + 1], reference.coords[3 * ri + 2]);
    });
    if (P.length) {
      const k = kabsch(P, Q);
      mc = applyTransform(model.coords, k, new Float64Array(model.coords.length));
      superposition = { R: k.R, t: k.t, rmsd_ca: k.rmsd, nCa: P.length / 3 };
    }
  }

  const rc = reference.coords;
  const d2 = (mi: number, ri: number) => {
    const x = mc[3 * mi] - rc[3 * ri], y = mc[3 * mi + 1] - rc[3 * ri + 1], z = mc[3 * mi + 2] - rc[3 * ri + 2];
    return x * x + y * y + z * z;
  };
  let sBb = 0, nBb = 0, sSc = 0, nSc = 0, sAll = 0, nAll = 0, missing = 0;
  const matchedModel = new Set<number>();
  const perResidue: ResidueRmsd[] = [];
  refRes.forEach((r, k) => {
    const atoms = refAtoms[k];
    const topo = residueTopology(r.resName);
    const mAtoms = atomsOfPartner(r);
    const find = (name: string) => mAtoms?.get(name);
    // name map model→reference for this residue: identity, or the symmetric swap when it is better
    let swap: Map<string, string> | null = null;
    if (opts.symmetric && topo) {
      const pairs = [...topo.symmetric, ...(opts.methyls ? topo.methylSwap ?? [] : [])];
      if (pairs.length) {
        let plain = 0, swapped = 0, ok = true;
        for (const [a, b] of pairs) {
          const ra = atoms.get(a), rb = atoms.get(b), ma = find(a), mb = find(b);
          if (ra === undefined || rb === undefined || ma === undefined || mb === undefined) { ok = false; break; }
          plain += d2(ma, ra) + d2(mb, rb);
          swapped += d2(mb, ra) + d2(ma, rb);
        }
        if (ok && swapped < plain) {
          swap = new Map();
          for (const [a, b] of pairs) { swap.set(a, b); swap.set(b, a); }
        }
      }
    }
    let rs = 0, rn = 0, rbs = 0, rbn = 0, rss = 0, rsn = 0;
    for (const [name, ri] of atoms) {
      const mi = find(swap?.get(name) ?? name);
      if (mi === undefined) { missing++; continue; }
      matchedModel.add(mi);
      const e = d2(mi, ri);
      rs += e; rn++;
      if (isBackboneName(name)) { rbs += e; rbn++; }
      else if (isSidechainName(name)) { rss += e; rsn++; }
    }
    sAll += rs; nAll += rn; sBb += rbs; nBb += rbn; sSc += rss; nSc += rsn;
    perResidue.push({
      chainId: r.chainId, resSeq: r.resSeq, iCode: r.iCode, resName: r.resName, matched: rn, matched_sc: rsn,
      rmsd: rn ? Math.sqrt(rs / rn) : NaN,
      rmsd_bb: rbn ? Math.sqrt(rbs / rbn) : NaN,
      rmsd_sc: rsn ? Math.sqrt(rss / rsn) : NaN,
      swapped: swap !== null,
      ...(partnerRow(partner.get(r.index)) ?? {}),
    });
  });
  // model heavy atoms of the compared residues (the chain filter applied) that found no reference atom
  let modelHeavy = 0;
  for (const e of residueEntries(model, opts.chain)) modelHeavy += (modelAtoms.get(e.index) ?? residueAtoms(model, modelRes[e.index])).size;
  return {
    rmsd_bb: nBb ? Math.sqrt(sBb / nBb) : NaN,
    rmsd_sc: nSc ? Math.sqrt(sSc / nSc) : NaN,
    rmsd_all: nAll ? Math.sqrt(sAll / nAll) : NaN,
    matched: nAll,
    matched_bb: nBb,
    matched_sc: nSc,
    missingInModel: missing,
    extraInModel: modelHeavy - matchedModel.size,
    perResidue,
    residueMatch: matching,
    superposition,
  };
}

const partnerRow = (m: Residue | undefined): Pick<ResidueRmsd, 'model'> | undefined =>
  m && { model: { chainId: m.chainId, resSeq: m.resSeq, iCode: m.iCode, resName: m.resName } };

// ---------------------------------------------------------------------------------------------
// clashes

export interface ClashReport {
  /**
   * Percentage of residues (with heavy atoms) that have a heavy atom closer than `cutoff` to a heavy atom of another
   * residue it is not covalently bonded to (the peptide C–N and disulfide SG–SG pairs are bonds: a short one is a
   * bond outlier of `bondAngleStats`, not a clash).
   */
  percent: number;
  residues: number;
  clashingResidues: number;
  /** Clashing atom pairs (i < j, indices into the structure). */
  pairs: number;
  /** Closest heavy-atom distance (Å) between residues that are not sequence neighbours (disulfide SG–SG excluded) when below 3 Å, else Infinity. */
  minDistance: number;
  cutoff: number;
  /** Indices (into `residuesOf(s.atoms)`) of clashing residues, at most 1000. */
  residueIndices: number[];
}

/** Clash analysis with the cell list; heavy atoms only. */
export function clashReport(s: Structure, cutoff: number = METRIC_DEFINITIONS.clashCutoff): ClashReport {
  assertFiniteCoords(s);
  const res = residuesOf(s.atoms);
  const heavy: number[] = [];
  const resOfHeavy: number[] = [];
  for (const r of res) for (let i = r.start; i < r.end; i++) if (!isHydrogen(s, i)) { heavy.push(i); resOfHeavy.push(r.index); }
  const c = new Float64Array(3 * heavy.length);
  heavy.forEach((i, k) => { c[3 * k] = s.coords[3 * i]; c[3 * k + 1] = s.coords[3 * i + 1]; c[3 * k + 2] = s.coords[3 * i + 2]; });
  const residuesWithHeavy = new Set(resOfHeavy).size;
  // Search to 3 Å so the closest contact is reported even without clashes; K = 32 exceeds the
  // atoms of the same residue that can lie within 3 Å, so no inter-residue contact is crowded out.
  const K = 32;
  const searchCut = Math.max(cutoff, 3.0);
  const nb = cellListNeighbors(c, searchCut, K, s.source);
  const clashing = new Uint8Array(res.length);
  let pairs = 0, minD = Infinity;
  for (let k = 0; k < heavy.length; k++)
    for (let q = 0; q < nb.count[k]; q++) {
      const j = nb.index[k * K + q];
      if (resOfHeavy[j] === resOfHeavy[k]) continue;
      const d = distanceAt(c, k, j);
      if (d < minD && !adjacentOrBonded(s, heavy[k], heavy[j], resOfHeavy[k], resOfHeavy[j])) minD = d;
      if (d < cutoff && !bondedAcross(s, heavy[k], heavy[j], resOfHeavy[k], resOfHeavy[j])) {
        clashing[resOfHeavy[k]] = 1;
        if (j > k) pairs++;
      }
    }
  const idx: number[] = [];
  let nc = 0;
  for (let r = 0; r < res.length; r++) if (clashing[r]) { nc++; if (idx.length < 1000) idx.push(r); }
  return {
    percent: residuesWithHeavy ? (100 * nc) / residuesWithHeavy : 0,
    residues: residuesWithHeavy,
    clashingResidues: nc,
    pairs,
    minDistance: minD,
    cutoff,
    residueIndices: idx,
  };
}

/** The covalent bonds between residues: peptide C(i)–N(i+1) of sequence neighbours and disulfide SG–SG. */
function bondedAcross(s: Structure, i: number, j: number, ri: number, rj: number): boolean {
  const a = s.atoms.name[i], b = s.atoms.name[j];
  if (a === 'SG' && b === 'SG') return true;
  if (Math.abs(ri - rj) !== 1 || s.atoms.chainId[i] !== s.atoms.chainId[j]) return false;
  return ri < rj ? a === 'C' && b === 'N' : a === 'N' && b === 'C';
}

/** Sequence-adjacent residues (fixed by covalent geometry) and disulfide SG–SG: not contacts. */
function adjacentOrBonded(s: Structure, i: number, j: number, ri: number, rj: number): boolean {
  if (s.atoms.name[i] === 'SG' && s.atoms.name[j] === 'SG') return true;
  return Math.abs(ri - rj) === 1 && s.atoms.chainId[i] === s.atoms.chainId[j];
}

/** Percentage of residues having a heavy atom closer than 1.2 Å to a heavy atom of another residue. */
export function clashPercent(s: Structure, cutoff: number = METRIC_DEFINITIONS.clashCutoff): number {
  return clashReport(s, cutoff).percent;
}

// ---------------------------------------------------------------------------------------------
// bond lengths and angles

export interface DeviationStats {
  n: number;
  meanAbsDev: number;
  rmsDev: number;
  /** RMS of Z = deviation / σ. */
  rmsZ: number;
  maxAbsDev: number;
  outliers: number;
  outlierFraction: number;
}
export interface GeometryOutlier {
  kind: 'bond' | 'angle';
  chainId: string;
  resSeq: number;
  iCode: string;
  resName: string;
  atoms: string; // e.g. "CA-CB" or "-C-N-CA"
  value: number;
  ideal: number;
  deviation: number;
}
export interface BondAngleStats {
  bonds: DeviationStats;
  angles: DeviationStats;
  /** Residues whose name has no topology (skipped). */
  unknownResidues: number;
  /** Worst outliers first, at most 50. */
  worst: GeometryOutlier[];
  thresholds: { bondSigma: number; angleSigma: number; outlierZ: number; bondOutlier: number; angleOutlier: number };
}

interface ResidueContext {
  res: Residue[];
  atoms: Map<string, number>[];
  topo: (ResidueTopology | undefined)[];
  /** bonded[i]: residue i's C is peptide-bonded to residue i+1's N. */
  bondedNext: boolean[];
}

function residueContext(s: Structure): ResidueContext {
  assertFiniteCoords(s);
  const res = residuesOf(s.atoms);
  const atoms = res.map((r) => residueAtoms(s, r));
  const topo = res.map((r) => residueTopology(r.resName));
  const bondedNext = res.map((r, i) => {
    const nx = res[i + 1];
    if (!nx || nx.chainId !== r.chainId) return false;
    const c = atoms[i].get('C'), n = atoms[i + 1].get('N');
    return c !== undefined && n !== undefined && distanceAt(s.coords, c, n) < METRIC_DEFINITIONS.peptideBondMax;
  });
  return { res, atoms, topo, bondedNext };
}

function emptyStats(): { devs: number[]; outliers: number } {
  return { devs: [], outliers: 0 };
}
function finish(x: { devs: number[]; outliers: number }, sigma: number): DeviationStats {
  const n = x.devs.length;
  let sa = 0, s2 = 0, mx = 0;
  for (const d of x.devs) { sa += Math.abs(d); s2 += d * d; mx = Math.max(mx, Math.abs(d)); }
  return {
    n,
    meanAbsDev: n ? sa / n : NaN,
    rmsDev: n ? Math.sqrt(s2 / n) : NaN,
    rmsZ: n ? Math.sqrt(s2 / n) / sigma : NaN,
    maxAbsDev: mx,
    outliers: x.outliers,
    outlierFraction: n ? x.outliers / n : NaN,
  };
}

/**
 * Bond-length and bond-angle deviations from the ideal (Engh & Huber) values of the 20 amino acids:
 * intra-residue bonds and angles of the residue topology, the peptide bond and the angles around it
 * (only between residues whose C–N is < 2 Å), and the C-terminal OXT. Outliers: |Δ| > 4σ with
 * σ = 0.02 Å (bonds) and 2.0° (angles), i.e. 0.08 Å and 8°. Non-standard residues are skipped.
 */
export function bondAngleStats(s: Structure): BondAngleStats {
  const D = METRIC_DEFINITIONS;
  const ctx = residueContext(s);
  const bonds = emptyStats(), angles = emptyStats();
  const worst: GeometryOutlier[] = [];
  let unknown = 0;
  const bondLim = D.outlierZ * D.bondSigma, angLim = D.outlierZ * D.angleSigma;
  ctx.res.forEach((r, i) => {
    const topo = ctx.topo[i];
    if (!topo) { unknown++; return; }
    const g = idealGeometry(topo.name3);
    const look = (ref: AtomRef): number | undefined => {
      if (ref.off === 0) return ctx.atoms[i].get(ref.name);
      if (ref.off === -1) return i > 0 && ctx.bondedNext[i - 1] ? ctx.atoms[i - 1].get(ref.name) : undefined;
      return ctx.bondedNext[i] ? ctx.atoms[i + 1].get(ref.name) : undefined;
    };
    const label = (refs: AtomRef[]) => refs.map((a) => (a.off < 0 ? '-' : a.off > 0 ? '+' : '') + a.name).join('-');
    const push = (kind: 'bond' | 'angle', refs: AtomRef[], value: number, ideal: number) => {
      const dev = value - ideal;
      const acc = kind === 'bond' ? bonds : angles;
      acc.devs.push(dev);
      if (Math.abs(dev) > (kind === 'bond' ? bondLim : angLim)) {
        acc.outliers++;
        worst.push({ kind, chainId: r.chainId, resSeq: r.resSeq, iCode: r.iCode, resName: r.resName, atoms: label(refs), value, ideal, deviation: dev });
      }
    };
    for (const b of g.bonds) {
      const x = look(b.a), y = look(b.b);
      if (x === undefined || y === undefined) continue;
      push('bond', [b.a, b.b], distanceAt(s.coords, x, y), b.ideal);
    }
    for (const a of g.angles) {
      const x = look(a.a), y = look(a.b), z = look(a.c);
      if (x === undefined || y === undefined || z === undefined) continue;
      push('angle', [a.a, a.b, a.c], angleAt(s.coords, x, y, z), a.ideal);
    }
  });
  // worst first, by Z
  worst.sort((p, q) => Math.abs(q.deviation) / (q.kind === 'bond' ? D.bondSigma : D.angleSigma) - Math.abs(p.deviation) / (p.kind === 'bond' ? D.bondSigma : D.angleSigma));
  return {
    bonds: finish(bonds, D.bondSigma),
    angles: finish(angles, D.angleSigma),
    unknownResidues: unknown,
    worst: worst.slice(0, 50),
    thresholds: { bondSigma: D.bondSigma, angleSigma: D.angleSigma, outlierZ: D.outlierZ, bondOutlier: bondLim, angleOutlier: angLim },
  };
}

// ---------------------------------------------------------------------------------------------
// torsions

export interface ResidueTorsions {
  chainId: string;
  resSeq: number;
  iCode: string;
  resName: string;
  /** C(i-1)-N-CA-C */
  phi: number;
  /** N-CA-C-N(i+1) */
  psi: number;
  /** CA(i-1)-C(i-1)-N(i)-CA(i): the peptide bond preceding residue i (so a cis-proline shows ω≈0 on the PRO). */
  omega: number;
  chi1: number;
  chi2: number;
}

/** φ/ψ/ω/χ1/χ2 per residue in degrees, NaN where undefined (termini, chain breaks, missing atoms, no such χ). */
export function backboneTorsions(s: Structure): ResidueTorsions[] {
  const ctx = residueContext(s);
  const c = s.coords;
  return ctx.res.map((r, i) => {
    const a = ctx.atoms[i];
    const N = a.get('N'), CA = a.get('CA'), C = a.get('C');
    const prev = i > 0 && ctx.bondedNext[i - 1] ? ctx.atoms[i - 1] : undefined;
    const next = ctx.bondedNext[i] ? ctx.atoms[i + 1] : undefined;
    const t4 = (p?: number, q?: number, u?: number, v?: number) =>
      p === undefined || q === undefined || u === undefined || v === undefined ? NaN : dihedralAt(c, p, q, u, v);
    const topo = ctx.topo[i];
    const chi = (k: number) => {
      const names = topo?.chis[k];
      return names ? t4(a.get(names[0]), a.get(names[1]), a.get(names[2]), a.get(names[3])) : NaN;
    };
    return {
      chainId: r.chainId,
      resSeq: r.resSeq,
      iCode: r.iCode,
      resName: r.resName,
      phi: t4(prev?.get('C'), N, CA, C),
      psi: t4(N, CA, C, next?.get('N')),
      omega: t4(prev?.get('CA'), prev?.get('C'), N, CA),
      chi1: chi(0),
      chi2: chi(1),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Ramachandran

export type RamaCategory = 'general' | 'glycine' | 'proline';
export interface RamaResult {
  /** Residues with both φ and ψ defined (standard amino acids). */
  total: number;
  outliers: number;
  fraction: number;
  byCategory: Record<RamaCategory, { total: number; outliers: number }>;
  outlierResidues: { chainId: string; resSeq: number; iCode: string; resName: string; phi: number; psi: number; category: RamaCategory }[];
}

type Box = [number, number, number, number]; // φmin, φmax, ψmin, ψmax
/**
 * A simple, documented region model (boxes, not MolProbity's contours), generous like MolProbity's
 * "allowed" level: general residues: αR/bridge (φ -180…-20, ψ -100…50), β/PPII (φ -180…-40, ψ 50…180
 * and -180…-150), αL (φ 30…100, ψ -20…100); glycine: the general regions and their point
 * reflections (φ,ψ)→(-φ,-ψ); proline: φ -105…-35 with ψ -70…60 (α) or 50…180 / -180…-150 (PPII).
 */
export const RAMA_REGIONS: Record<RamaCategory, Box[]> = {
  general: [[-180, -20, -100, 50], [-180, -40, 50, 180], [-180, -40, -180, -150], [30, 100, -20, 100]],
  glycine: [],
  proline: [[-105, -35, -70, 60], [-105, -35, 50, 180], [-105, -35, -180, -150]],
};
RAMA_REGIONS.glycine = [...RAMA_REGIONS.general, ...RAMA_REGIONS.general.map(([a, b, c, d]): Box => [-b, -a, -d, -c])];

export function ramaAllowed(category: RamaCategory, phi: number, psi: number): boolean {
  return RAMA_REGIONS[category].some(([a, b, c, d]) => phi >= a && phi <= b && psi >= c && psi <= d);
}

/** Ramachandran outliers of standard amino acids under the box model of `RAMA_REGIONS`. */
export function ramachandranOutliers(s: Structure, torsions: ResidueTorsions[] = backboneTorsions(s)): RamaResult {
  const byCategory: RamaResult['byCategory'] = { general: { total: 0, outliers: 0 }, glycine: { total: 0, outliers: 0 }, proline: { total: 0, outliers: 0 } };
  const out: RamaResult['outlierResidues'] = [];
  let total = 0, outliers = 0;
  for (const t of torsions) {
    const topo = residueTopology(t.resName);
    if (!topo || Number.isNaN(t.phi) || Number.isNaN(t.psi)) continue;
    const category: RamaCategory = topo.name3 === 'GLY' ? 'glycine' : topo.name3 === 'PRO' ? 'proline' : 'general';
    total++;
    byCategory[category].total++;
    if (!ramaAllowed(category, t.phi, t.psi)) {
      outliers++;
      byCategory[category].outliers++;
      out.push({ chainId: t.chainId, resSeq: t.resSeq, iCode: t.iCode, resName: t.resName, phi: t.phi, psi: t.psi, category });
    }
  }
  return { total, outliers, fraction: total ? outliers / total : NaN, byCategory, outlierResidues: out };
}

// ---------------------------------------------------------------------------------------------
// χ agreement

export interface ChiAgreement {
  chi1: { n: number; agree: number; fraction: number };
  chi2: { n: number; agree: number; fraction: number };
  tolerance: number;
}

/**
 * Fraction of residues whose χ1 (and χ2) in the model is within `tolerance` (40°) of the reference,
 * residues matched as by `compareStructures` (`matchStructureResidues`). χ2 of PHE, TYR and ASP (and χ2 of HIS is not
 * symmetric) is compared modulo 180° because the ring/carboxylate flip is the same structure.
 */
export function chiAgreement(model: Structure, reference: Structure, opts: { tolerance?: number; chain?: string; matching?: ResidueMatching } = {}): ChiAgreement {
  const tol = opts.tolerance ?? METRIC_DEFINITIONS.chiTolerance;
  const matching = opts.matching ?? matchStructureResidues(model, reference, { chain: opts.chain });
  const modelTorsions = backboneTorsions(model);
  const refTorsions = backboneTorsions(reference);
  const c1 = { n: 0, agree: 0, fraction: NaN }, c2 = { n: 0, agree: 0, fraction: NaN };
  for (const [mi, ri] of matching.pairs) {
    const m = modelTorsions[mi], r = refTorsions[ri];
    if (!Number.isNaN(r.chi1) && !Number.isNaN(m.chi1)) {
      c1.n++;
      if (Math.abs(angleDiff(m.chi1, r.chi1)) < tol) c1.agree++;
    }
    if (!Number.isNaN(r.chi2) && !Number.isNaN(m.chi2)) {
      c2.n++;
      const topo = residueTopology(r.resName);
      let d = Math.abs(angleDiff(m.chi2, r.chi2));
      if (topo?.symmetricChi === 2) d = Math.min(d, 180 - d);
      if (d < tol) c2.agree++;
    }
  }
  c1.fraction = c1.n ? c1.agree / c1.n : NaN;
  c2.fraction = c2.n ? c2.agree / c2.n : NaN;
  return { chi1: c1, chi2: c2, tolerance: tol };
}

// ---------------------------------------------------------------------------------------------
// bond-graph edit distance

export interface GraphEditResult {
  /** Edges added + edges removed + nodes missing + nodes extra (+ element mismatches). */
  ged: number;
  /** ged / (reference nodes + reference edges). */
  normalized: number;
  edgesAdded: number;
  edgesRemoved: number;
  nodesMissing: number;
  nodesExtra: number;
  elementMismatches: number;
  refNodes: number;
  refEdges: number;
}

/**
 * Heavy-atom bond graph by distance: bonded when d < factor × (r_i + r_j). Nodes keyed by residue key + atom name
 * (default residue key: chain, number, insertion code); `residueKey` renames residues, or leaves one out (null).
 * Edges as sorted key pairs.
 */
export function bondGraph(
  s: Structure,
  factor: number = METRIC_DEFINITIONS.bondFactor,
  opts: { residueKey?: (r: Residue) => string | null } = {},
): { nodes: Map<string, string>; edges: Set<string> } {
  assertFiniteCoords(s);
  const heavy: number[] = [];
  const nodes = new Map<string, string>();
  const keyOf: string[] = [];
  const elem: string[] = [];
  for (const r of residuesOf(s.atoms)) {
    const rk = opts.residueKey ? opts.residueKey(r) : residueKeyOf(r);
    if (rk === null) continue;
    for (let i = r.start; i < r.end; i++) {
      if (isHydrogen(s, i)) continue;
      const k = `${rk}\u0001${s.atoms.name[i]}`;
      const e = (s.atoms.element[i] || guessElement(s.atoms.name[i], s.atoms.resName[i])).toUpperCase();
      heavy.push(i);
      keyOf.push(k);
      elem.push(e);
      if (!nodes.has(k)) nodes.set(k, e);
    }
  }
  const c = new Float64Array(3 * heavy.length);
  heavy.forEach((i, k) => { c[3 * k] = s.coords[3 * i]; c[3 * k + 1] = s.coords[3 * i + 1]; c[3 * k + 2] = s.coords[3 * i + 2]; });
  const rad = elem.map((e) => COVALENT_RADIUS[e] ?? 0.77);
  let maxR = 0.77;
  for (const r of rad) if (r > maxR) maxR = r;
  const maxCut = factor * 2 * maxR; // the longest bond any pair present could form
  const K = 12;
  const nb = cellListNeighbors(c, maxCut, K, s.source);
  const edges = new Set<string>();
  for (let a = 0; a < heavy.length; a++)
    for (let q = 0; q < nb.count[a]; q++) {
      const b = nb.index[a * K + q];
      if (b <= a) continue;
      if (distanceAt(c, a, b) < factor * (rad[a] + rad[b])) {
        const ka = keyOf[a], kb = keyOf[b];
        if (ka !== kb) edges.add(ka < kb ? `${ka}\u0002${kb}` : `${kb}\u0002${ka}`);
      }
    }
  return { nodes, edges };
}

/** The residue part of a bond-graph node key (the atom name follows it). */
const residueKeyOf = (r: Pick<Residue, 'chainId' | 'resSeq' | 'iCode'>) => `${r.chainId}\u0001${r.resSeq}\u0001${r.iCode}`;

/**
 * Normalised graph edit distance between the heavy-atom bond graphs of `model` and `reference`
 * (nodes matched by chain/residue/insertion code/atom name; bonds perceived from distances as in the
 * iterative-backmapping literature): (edges added + edges removed + node insertions/deletions +
 * element mismatches) / (reference nodes + reference edges). 0 = same connectivity.
 *
 * With `matching` (from `matchStructureResidues`) a model residue's nodes take the name of the reference residue it
 * is matched to, so a renumbered model (martinize2, GRO without chain IDs) is compared residue for residue; model
 * residues without a partner count as extra nodes. With `chain` only that chain of the reference (and of the
 * model, when it has that chain ID) takes part, as in `compareStructures`.
 */
export function bondGraphEditDistance(model: Structure, reference: Structure, opts: { matching?: ResidueMatching; chain?: string } = {}): GraphEditResult {
  let gm: ReturnType<typeof bondGraph>, gr: ReturnType<typeof bondGraph>;
  if (opts.matching === undefined && opts.chain === undefined) {
    gm = bondGraph(model);
    gr = bondGraph(reference);
  } else {
    const refRes = residuesOf(reference.atoms);
    const partner = new Map<number, string>();
    for (const [m, r] of opts.matching?.pairs ?? []) partner.set(m, residueKeyOf(refRes[r]));
    const modelIn = new Set(residueEntries(model, opts.chain).map((e) => e.index));
    // an unmatched model residue never shares a name with a reference residue (\u0003 is in no key)
    gm = bondGraph(model, undefined, {
      residueKey: (r) => (!modelIn.has(r.index) ? null : opts.matching ? partner.get(r.index) ?? `\u0003${residueKeyOf(r)}` : residueKeyOf(r)),
    });
    gr = bondGraph(reference, undefined, { residueKey: (r) => (opts.chain === undefined || r.chainId === opts.chain ? residueKeyOf(r) : null) });
  }
  let nodesMissing = 0, nodesExtra = 0, mism = 0, added = 0, removed = 0;
  for (const [k, e] of gr.nodes) {
    const me = gm.nodes.get(k);
    if (me === undefined) nodesMissing++;
    else if (me !== e) mism++;
  }
  for (const k of gm.nodes.keys()) if (!gr.nodes.has(k)) nodesExtra++;
  for (const e of gm.edges) if (!gr.edges.has(e)) added++;
  for (const e of gr.edges) if (!gm.edges.has(e)) removed++;
  const ged = added + removed + nodesMissing + nodesExtra + mism;
  const denom = gr.nodes.size + gr.edges.size;
  return {
    ged,
    normalized: denom ? ged / denom : NaN,
    edgesAdded: added,
    edgesRemoved: removed,
    nodesMissing,
    nodesExtra,
    elementMismatches: mism,
    refNodes: gr.nodes.size,
    refEdges: gr.edges.size,
  };
}

// ---------------------------------------------------------------------------------------------
// one-call summaries

export interface QualitySummary {
  clash: ClashReport;
  geometry: BondAngleStats;
  ramachandran: RamaResult;
}
/** Reference-free quality of one structure. */
export function structureQuality(s: Structure): QualitySummary {
  return { clash: clashReport(s), geometry: bondAngleStats(s), ramachandran: ramachandranOutliers(s) };
}

export interface ComparisonSummary {
  rmsd: CompareResult;
  rmsdSuperposed: CompareResult;
  chi: ChiAgreement;
  graph: GraphEditResult;
  model: QualitySummary;
}
/** Everything a backmapping report needs for a model against its reference. */
export function fullComparison(model: Structure, reference: Structure, opts: { chain?: string } = {}): ComparisonSummary {
  const matching = matchStructureResidues(model, reference, { chain: opts.chain });
  return {
    rmsd: compareStructures(model, reference, { chain: opts.chain, symmetric: true, matching }),
    rmsdSuperposed: compareStructures(model, reference, { chain: opts.chain, symmetric: true, superpose: true, matching }),
    chi: chiAgreement(model, reference, { chain: opts.chain, matching }),
    graph: bondGraphEditDistance(model, reference),
    model: structureQuality(model),
  };
}

// ---------------------------------------------------------------------------------------------
// metrics of the iterative-backmapping paper (issue 28: Kementzidis et al., ultra-coarse proteins)

/** A Ramachandran region of `METRIC_DEFINITIONS.ramaRegions`, or none of them. */
export type RamaRegion = 'alphaR' | 'beta' | 'alphaL' | 'other';
const RAMA_REGION_NAMES: readonly RamaRegion[] = ['alphaR', 'beta', 'alphaL', 'other'];

/** The region of (φ, ψ) in degrees; 'other' outside every box (and for NaN). */
export function ramaRegion(phi: number, psi: number): RamaRegion {
  // the boxes are half-open on [-180, 180): +180 is the same angle as -180
  const p = phi >= 180 ? phi - 360 : phi, q = psi >= 180 ? psi - 360 : psi;
  const boxes = METRIC_DEFINITIONS.ramaRegions;
  for (const region of ['alphaR', 'beta', 'alphaL'] as const)
    if (boxes[region].some(([a, b, c, d]) => p >= a && p < b && q >= c && q < d)) return region;
  return 'other';
}

export interface RamaAgreement {
  /** same / residues (0…1); NaN when no matched residue has φ and ψ in both structures. */
  agreement: number;
  /** Matched residues with φ and ψ defined in both structures. */
  residues: number;
  /** Of them, those in the same region. */
  same: number;
  /** Residues per region (alphaR, beta, alphaL, other) among those compared, in each structure. */
  regions: { model: Record<RamaRegion, number>; reference: Record<RamaRegion, number> };
}

/**
 * Ramachandran agreement: the share of matched residues whose (φ, ψ) lies in the same region (αR, β with PPII, αL,
 * other: the boxes of `METRIC_DEFINITIONS.ramaRegions`) in the model as in the reference. Residues are matched as
 * by `compareStructures` (`matchStructureResidues`); only residues with both torsions defined in both structures
 * count (no termini, chain breaks or residues without N, CA, C), so a C-alpha trace gives NaN.
 */
export function ramachandranAgreement(model: Structure, reference: Structure, opts: { chain?: string; matching?: ResidueMatching } = {}): RamaAgreement {
  const matching = opts.matching ?? matchStructureResidues(model, reference, { chain: opts.chain });
  const mt = backboneTorsions(model), rt = backboneTorsions(reference);
  const zero = () => Object.fromEntries(RAMA_REGION_NAMES.map((k) => [k, 0])) as Record<RamaRegion, number>;
  const regions = { model: zero(), reference: zero() };
  let residues = 0, same = 0;
  for (const [mi, ri] of matching.pairs) {
    const m = mt[mi], r = rt[ri];
    if ([m.phi, m.psi, r.phi, r.psi].some(Number.isNaN)) continue;
    const a = ramaRegion(m.phi, m.psi), b = ramaRegion(r.phi, r.psi);
    residues++;
    regions.model[a]++;
    regions.reference[b]++;
    if (a === b) same++;
  }
  return { agreement: residues ? same / residues : NaN, residues, same, regions };
}

/** The Cα atom of a residue of an amino acid (first non-hydrogen atom named CA), else undefined. */
function alphaCarbon(s: Structure, r: Residue): number | undefined {
  if (!AMINO_ACID_NAMES.has(r.resName)) return undefined;
  for (let i = r.start; i < r.end; i++) if (s.atoms.name[i] === 'CA' && !isHydrogen(s, i)) return i;
  return undefined;
}

/**
 * A C-alpha trace: amino-acid residues whose only heavy atom is the Cα (other residues, e.g. ions, are not looked
 * at); at least one such residue. The first stage of the iterative backmapping (UCG → Cα) gives one.
 */
export function isCaTrace(s: Structure): boolean {
  let n = 0;
  for (const r of residuesOf(s.atoms)) {
    if (!AMINO_ACID_NAMES.has(r.resName)) continue;
    for (let i = r.start; i < r.end; i++) if (!isHydrogen(s, i) && s.atoms.name[i] !== 'CA') return false;
    n++;
  }
  return n > 0;
}

/** Residues with N, CA and C (a backbone the bond graph and the torsions can use). */
export function hasPeptideBackbone(s: Structure): boolean {
  const a = s.atoms;
  for (const r of residuesOf(a)) {
    let got = 0;
    for (let i = r.start; i < r.end; i++) got |= a.name[i] === 'N' ? 1 : a.name[i] === 'CA' ? 2 : a.name[i] === 'C' ? 4 : 0;
    if (got === 7) return true;
  }
  return false;
}

export interface CaRmsd {
  /** Cα RMSD (Å) as placed; NaN when no Cα pair matched. */
  rmsd: number;
  /** Matched Cα pairs. */
  matched: number;
  /** Cα RMSD after Kabsch superposition of the model's Cα atoms onto the reference's; with 3 or more pairs only. */
  superposed?: number;
}

/**
 * Cα RMSD of `model` against `reference`: residues matched as by `compareStructures` (`matchStructureResidues`),
 * the Cα of each amino-acid pair; either structure may be a C-alpha trace. As placed, and after superposition.
 */
export function caRmsd(model: Structure, reference: Structure, opts: { chain?: string; matching?: ResidueMatching } = {}): CaRmsd {
  assertFiniteCoords(model);
  assertFiniteCoords(reference);
  const matching = opts.matching ?? matchStructureResidues(model, reference, { chain: opts.chain });
  const mRes = residuesOf(model.atoms), rRes = residuesOf(reference.atoms);
  const P: number[] = [], Q: number[] = [];
  let s = 0;
  for (const [mi, ri] of matching.pairs) {
    const a = alphaCarbon(model, mRes[mi]), b = alphaCarbon(reference, rRes[ri]);
    if (a === undefined || b === undefined) continue;
    for (let k = 0; k < 3; k++) {
      P.push(model.coords[3 * a + k]);
      Q.push(reference.coords[3 * b + k]);
      s += (model.coords[3 * a + k] - reference.coords[3 * b + k]) ** 2;
    }
  }
  const matched = P.length / 3;
  // one or two points always superpose (almost) exactly: a number that says nothing
  return { rmsd: matched ? Math.sqrt(s / matched) : NaN, matched, ...(matched >= 3 ? { superposed: kabsch(P, Q).rmsd } : {}) };
}

export interface PaperMetrics {
  /** Heavy-atom RMSD (Å), as placed (`compareStructures`, no name swaps); of a C-alpha trace (either side), its Cα RMSD. */
  rmsdHeavy: number;
  /** Cα RMSD (Å), as placed (`caRmsd`); after superposition with `superpose`. */
  rmsdCa: number;
  /** Normalised graph edit distance of the heavy-atom bond graphs (`bondGraphEditDistance`); NaN without backbone atoms. */
  ged: number;
  /** % of the model's residues with a heavy atom < 1.2 Å from a non-bonded heavy atom of another residue (`clashReport`). */
  clashPercent: number;
  /** Share (0…1) of residues in the same Ramachandran region (`ramachandranAgreement`); NaN without φ/ψ. */
  ramaAgreement: number;
}

/**
 * The metrics of the iterative-backmapping paper (Kementzidis et al., issue 28) in one call, for benches. Residues
 * are matched once (`matchStructureResidues`) and that matching is used by every comparison. Definitions:
 * - rmsdHeavy: RMSD over the matched heavy atoms (by residue, then atom name) as placed; a C-alpha trace has only
 *   its Cα, so its heavy-atom RMSD is its Cα RMSD.
 * - rmsdCa: RMSD over the matched Cα atoms (works when either or both structures hold only Cα atoms).
 * - ged: (edges added + removed + nodes missing + extra + element mismatches) / (reference nodes + edges) of the
 *   heavy-atom bond graphs, bonds perceived from distances (d < 1.15 × the sum of covalent radii), model residues
 *   named after their matched reference residues; NaN when either structure has no N–CA–C backbone (a Cα trace's
 *   graph has no bonds to compare).
 * - clashPercent: the percentage of the model's residues that have a heavy atom closer than 1.2 Å to a heavy atom of
 *   another residue it is not covalently bonded to. The paper's own clash code is not available to us; this is our
 *   reading of its definition (a per-residue share, not a count of atom pairs).
 * - ramaAgreement: the share of matched residues, with φ and ψ defined in both structures, whose (φ, ψ) falls in the
 *   same region (αR, β incl. PPII, αL, other; `METRIC_DEFINITIONS.ramaRegions`); NaN when there is none.
 * With `superpose` the model is first fitted onto the reference (Kabsch on the matched Cα atoms): both RMSDs are
 * then after the fit; the other metrics do not depend on it.
 */
export function paperMetrics(model: Structure, reference: Structure, opts: { chain?: string; matching?: ResidueMatching; superpose?: boolean } = {}): PaperMetrics {
  const matching = opts.matching ?? matchStructureResidues(model, reference, { chain: opts.chain });
  const ca = caRmsd(model, reference, { matching });
  const caOnly = isCaTrace(model) || isCaTrace(reference);
  const heavy = caOnly ? NaN : compareStructures(model, reference, { chain: opts.chain, superpose: opts.superpose, matching }).rmsd_all;
  const rmsdCa = opts.superpose ? ca.superposed ?? NaN : ca.rmsd;
  const backbone = hasPeptideBackbone(model) && hasPeptideBackbone(reference);
  return {
    rmsdHeavy: caOnly ? rmsdCa : heavy,
    rmsdCa,
    ged: backbone ? bondGraphEditDistance(model, reference, { matching, chain: opts.chain }).normalized : NaN,
    clashPercent: clashReport(model).percent,
    ramaAgreement: ramachandranAgreement(model, reference, { matching }).agreement,
  };
}
