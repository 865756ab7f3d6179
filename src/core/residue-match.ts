/**
 * Residue correspondence between two structures of the same molecules whose chain IDs or residue numbering differ
 * (martinize2 renumbers residues and continues the numbering across chains; GRO files have no chain IDs).
 *
 * By number when the chain IDs and numbers agree (the usual case, no alignment needed); otherwise chains are paired
 * (one side without chain breaks against all chains of the other in order; else by chain ID when the IDs agree and
 * the sequences do; else by sequence similarity, order breaking ties, so homo-oligomers pair in order) and the
 * residues of each pair by a global alignment of residue names (Needleman–Wunsch with free end gaps), so a missing
 * terminal residue or an internal gap does not shift the residues after it. Works on plain residue records; the
 * structure-level entry point is `matchStructureResidues` in metrics.ts.
 */
import { RESIDUES } from './chemistry/amino-acids';
import { protonationParent, residueVariant } from './chemistry/variants';

/** One residue as the matching sees it. */
export interface ResidueEntry {
  /** Index of the residue in `residuesOf(structure.atoms)`. */
  index: number;
  chainId: string;
  resSeq: number;
  iCode: string;
  resName: string;
  /**
   * Takes part in sequence alignment and in the counts (a polymer residue: two or more heavy atoms); waters and
   * ions are paired by number only.
   */
  polymer: boolean;
  /** The chain is broken after this residue (no peptide bond to the next): where a gap is most likely. */
  breakAfter?: boolean;
}

/** The residues of one model chain matched to one reference chain. */
export interface ChainMatch {
  modelChain: string;
  referenceChain: string;
  /** Matched residue pairs, and of them those with the same residue (name or protonation variant). */
  matched: number;
  identical: number;
  /** First and last matched residue numbers on each side. */
  modelRange: [number, number];
  referenceRange: [number, number];
  /** Reference number − model number when it is the same for every pair of the chain, else null (renumbered). */
  offset: number | null;
}

export interface ResidueMatching {
  /** `numbering`: by chain ID, residue number and insertion code; `sequence`: by sequence alignment per chain. */
  method: 'numbering' | 'sequence';
  /** [model residue index, reference residue index] (indices of `residuesOf`), in reference order. */
  pairs: [number, number][];
  /** Polymer residues of each side considered (chain filter applied). */
  modelResidues: number;
  referenceResidues: number;
  /** Matched polymer residue pairs, and of them those with the same residue. */
  matched: number;
  identical: number;
  /** identical / the shorter side's polymer residues (1 for the same sequence, missing termini included). */
  identity: number;
  chains: ChainMatch[];
}

/** Below this identity two structures are not the same molecules (a few point mutations stay above it). */
export const SAME_SEQUENCE_IDENTITY = 0.9;

/** The name a residue compares under: protonation variants and force-field spellings as their amino acid. */
export function residueCode(resName: string): string {
  return protonationParent(resName) ?? residueVariant(resName)?.parent ?? resName;
}

const MATCH = 2;
const MISMATCH = -1;
const GAP = -2;
/** A gap where the other side's chain is broken costs less: it places a gap whose position the sequence leaves open. */
const GAP_AT_BREAK = -1;
/** Largest alignment matrix (cells) built; beyond it the caller must give chain IDs or numbering that agree. */
const MAX_CELLS = 6e7;

/**
 * Global alignment of two name sequences with free end gaps (a missing terminus costs nothing). Returns the aligned
 * index pairs (i in a, j in b), matches and mismatches alike. `breaksA[i]` / `breaksB[j]`: the chain is broken after
 * that residue; a gap there is cheaper, so residues missing between two that repeat (K·IQDKE·G against K·G) are
 * placed at the break instead of anywhere the names allow.
 */
export function alignSequences(
  a: readonly string[],
  b: readonly string[],
  breaksA?: readonly boolean[],
  breaksB?: readonly boolean[],
): { pairs: [number, number][]; score: number } {
  const n = a.length, m = b.length;
  if (!n || !m) return { pairs: [], score: 0 };
  if (n * m > MAX_CELLS)
    throw new Error(`sequence alignment of ${n} × ${m} residues is too large: give both structures the same chain IDs or residue numbering`);
  const w = m + 1;
  // 0: diagonal, 1: gap in b (consume a), 2: gap in a (consume b)
  const move = new Uint8Array((n + 1) * w);
  let prev = new Float64Array(w), cur = new Float64Array(w);
  for (let j = 1; j <= m; j++) move[j] = 2;
  let best = -Infinity, bi = 0, bj = 0;
  for (let i = 1; i <= n; i++) {
    cur[0] = 0; // leading end gap in b: free
    move[i * w] = 1;
    const ai = a[i - 1];
    // trailing end gaps are free: the best cell of the last row or column ends the alignment
    for (let j = 1; j <= m; j++) {
      const diag = prev[j - 1] + (ai === b[j - 1] ? MATCH : MISMATCH);
      // up: a[i-1] unpaired, the gap sits in b after b[j-1]; left: b[j-1] unpaired, the gap in a after a[i-1]
      const up = prev[j] + (breaksB?.[j - 1] ? GAP_AT_BREAK : GAP);
      const left = cur[j - 1] + (breaksA?.[i - 1] ? GAP_AT_BREAK : GAP);
      let s = diag, mv = 0;
      if (up > s) { s = up; mv = 1; }
      if (left > s) { s = left; mv = 2; }
      cur[j] = s;
      move[i * w + j] = mv;
    }
    if (cur[m] > best) { best = cur[m]; bi = i; bj = m; }
    [prev, cur] = [cur, prev];
  }
  for (let j = 1; j <= m; j++) if (prev[j] > best) { best = prev[j]; bi = n; bj = j; }
  const pairs: [number, number][] = [];
  let i = bi, j = bj;
  while (i > 0 && j > 0) {
    const mv = move[i * w + j];
    if (mv === 0) { pairs.push([i - 1, j - 1]); i--; j--; }
    else if (mv === 1) i--;
    else j--;
  }
  pairs.reverse();
  return { pairs, score: best };
}

/** The alignment score only (linear memory), for pairing chains. */
function alignmentScore(a: readonly string[], b: readonly string[]): number {
  const m = b.length;
  let prev = new Float64Array(m + 1), cur = new Float64Array(m + 1);
  let best = 0;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = 0;
    for (let j = 1; j <= m; j++)
      cur[j] = Math.max(prev[j - 1] + (a[i - 1] === b[j - 1] ? MATCH : MISMATCH), prev[j] + GAP, cur[j - 1] + GAP);
    best = Math.max(best, cur[m]);
    [prev, cur] = [cur, prev];
  }
  for (let j = 1; j <= m; j++) best = Math.max(best, prev[j]);
  return best;
}

const residueKey = (r: ResidueEntry) => `${r.chainId}\u0001${r.resSeq}\u0001${r.iCode}`;

/** Pairs by chain ID, number and insertion code (every residue, polymer or not); `ambiguous` when a key repeats. */
function numberingPairs(model: readonly ResidueEntry[], reference: readonly ResidueEntry[]): { pairs: [ResidueEntry, ResidueEntry][]; ambiguous: boolean } {
  const byKey = new Map<string, ResidueEntry>();
  let ambiguous = false;
  for (const r of model) {
    const k = residueKey(r);
    if (byKey.has(k)) ambiguous = true;
    else byKey.set(k, r);
  }
  const seen = new Set<string>();
  const pairs: [ResidueEntry, ResidueEntry][] = [];
  for (const r of reference) {
    const k = residueKey(r);
    if (seen.has(k)) ambiguous = true;
    seen.add(k);
    const m = byKey.get(k);
    if (m) pairs.push([m, r]);
  }
  return { pairs, ambiguous };
}

/**
 * Chains as runs of residues with the same chain ID; without chain IDs (GRO) a residue number lower than the one
 * before also starts a chain (each molecule numbered from 1).
 */
function chainsOf(residues: readonly ResidueEntry[]): ResidueEntry[][] {
  const out: ResidueEntry[][] = [];
  let last: ResidueEntry | undefined;
  for (const r of residues) {
    if (!last || r.chainId !== last.chainId || (r.chainId.trim() === '' && r.resSeq < last.resSeq)) out.push([]);
    out[out.length - 1].push(r);
    last = r;
  }
  return out;
}

const codes = (chain: readonly ResidueEntry[]) => chain.map((r) => residueCode(r.resName));

function countIdentical(pairs: readonly [ResidueEntry, ResidueEntry][]): number {
  let n = 0;
  for (const [m, r] of pairs) if (residueCode(m.resName) === residueCode(r.resName)) n++;
  return n;
}

/** Aligned pairs of one model chain (or chains joined) against one reference chain (or chains joined). */
function alignChains(model: readonly ResidueEntry[], reference: readonly ResidueEntry[]): [ResidueEntry, ResidueEntry][] {
  const breaks = (c: readonly ResidueEntry[]) => c.map((r) => !!r.breakAfter);
  return alignSequences(codes(model), codes(reference), breaks(model), breaks(reference)).pairs.map(([i, j]) => [model[i], reference[j]]);
}

/** Which model chain goes with which reference chain (indices), before residues are aligned. */
function pairChains(mc: ResidueEntry[][], rc: ResidueEntry[][]): [number, number][] {
  // 1. the same chain IDs, when each pair's sequences agree
  const ids = (cs: ResidueEntry[][]) => cs.map((c) => c[0].chainId);
  const mIds = ids(mc), rIds = ids(rc);
  const unique = (xs: string[]) => new Set(xs).size === xs.length && xs.every((x) => x.trim() !== '');
  if (unique(mIds) && unique(rIds) && mIds.every((id) => rIds.includes(id))) {
    const byId: [number, number][] = mIds.map((id, k) => [k, rIds.indexOf(id)]);
    const agree = byId.every(([k, q]) => {
      const shorter = Math.min(mc[k].length, rc[q].length);
      return countIdentical(alignChains(mc[k], rc[q])) >= SAME_SEQUENCE_IDENTITY * shorter;
    });
    if (agree) return byId;
  }
  // 2. by sequence similarity, best first; equal scores in chain order (homo-oligomers pair A–A, B–B)
  const cand: { k: number; q: number; score: number }[] = [];
  const mCodes = mc.map(codes), rCodes = rc.map(codes);
  let cells = 0;
  for (const a of mCodes) for (const b of rCodes) cells += a.length * b.length;
  if (cells > 20 * MAX_CELLS) {
    // too many chains to score every pair: by order
    return mc.slice(0, Math.min(mc.length, rc.length)).map((_c, k) => [k, k]);
  }
  mCodes.forEach((a, k) => rCodes.forEach((b, q) => cand.push({ k, q, score: alignmentScore(a, b) })));
  cand.sort((x, y) => y.score - x.score || x.k - y.k || x.q - y.q);
  const usedM = new Set<number>(), usedR = new Set<number>();
  const out: [number, number][] = [];
  for (const c of cand) {
    if (c.score <= 0 || usedM.has(c.k) || usedR.has(c.q)) continue;
    usedM.add(c.k);
    usedR.add(c.q);
    out.push([c.k, c.q]);
  }
  return out;
}

/** Pairs by sequence: chains paired (see the module comment), residues aligned within each pair. */
function sequencePairs(model: readonly ResidueEntry[], reference: readonly ResidueEntry[]): [ResidueEntry, ResidueEntry][] {
  const mc = chainsOf(model), rc = chainsOf(reference);
  if (!mc.length || !rc.length) return [];
  // One side a single chain (a GRO of a complex, all IDs blank) against several: align it to them all in order.
  const pairs = mc.length === 1 || rc.length === 1 ? alignChains(model, reference) : pairChains(mc, rc).flatMap(([k, q]) => alignChains(mc[k], rc[q]));
  // In reference order, like the per-residue tables.
  return pairs.sort((x, y) => x[1].index - y[1].index);
}

function chainSummary(pairs: readonly [ResidueEntry, ResidueEntry][]): ChainMatch[] {
  const groups = new Map<string, [ResidueEntry, ResidueEntry][]>();
  for (const p of pairs) {
    const k = `${p[0].chainId}\u0001${p[1].chainId}`;
    const g = groups.get(k) ?? [];
    g.push(p);
    groups.set(k, g);
  }
  return [...groups.values()].map((g) => {
    const diffs = new Set(g.map(([m, r]) => (m.iCode === r.iCode ? r.resSeq - m.resSeq : NaN)));
    const [d] = diffs;
    const seqs = (side: 0 | 1) => g.map((p) => p[side].resSeq);
    return {
      modelChain: g[0][0].chainId,
      referenceChain: g[0][1].chainId,
      matched: g.length,
      identical: countIdentical(g),
      modelRange: [Math.min(...seqs(0)), Math.max(...seqs(0))],
      referenceRange: [Math.min(...seqs(1)), Math.max(...seqs(1))],
      offset: diffs.size === 1 && Number.isFinite(d) ? d : null,
    };
  });
}

/**
 * Matches the residues of `model` to those of `reference`. `auto` (default) keeps the numbering when it pairs every
 * residue of the shorter side with the same residue, else aligns by sequence and keeps whichever pairs more
 * identical residues (the numbering on a tie).
 */
export function matchResidueLists(
  model: readonly ResidueEntry[],
  reference: readonly ResidueEntry[],
  method: 'auto' | 'numbering' | 'sequence' = 'auto',
): ResidueMatching {
  const mPoly = model.filter((r) => r.polymer), rPoly = reference.filter((r) => r.polymer);
  const shorter = Math.min(mPoly.length, rPoly.length);
  const polymerPairs = (p: [ResidueEntry, ResidueEntry][]) => p.filter(([m, r]) => m.polymer && r.polymer);
  const result = (how: ResidueMatching['method'], pairs: [ResidueEntry, ResidueEntry][]): ResidueMatching => {
    const poly = polymerPairs(pairs);
    const identical = countIdentical(poly);
    return {
      method: how,
      pairs: pairs.map(([m, r]) => [m.index, r.index]),
      modelResidues: mPoly.length,
      referenceResidues: rPoly.length,
      matched: poly.length,
      identical,
      identity: shorter ? identical / shorter : 0,
      chains: chainSummary(poly),
    };
  };
  if (method === 'sequence') return result('sequence', sequencePairs(mPoly, rPoly));
  const byNumber = numberingPairs(model, reference);
  if (method === 'numbering') return result('numbering', byNumber.pairs);
  const numPoly = polymerPairs(byNumber.pairs);
  const numIdentical = countIdentical(numPoly);
  if (!byNumber.ambiguous && numIdentical === numPoly.length && numIdentical === shorter) return result('numbering', byNumber.pairs);
  const bySequence = sequencePairs(mPoly, rPoly);
  return countIdentical(bySequence) > numIdentical ? result('sequence', bySequence) : result('numbering', byNumber.pairs);
}

/** Single-letter sequence for messages (X for residues that are not amino acids), cut to `max` letters. */
export function sequencePreview(residues: readonly ResidueEntry[], max = 30): string {
  const s = residues.filter((r) => r.polymer).map((r) => RESIDUES[residueCode(r.resName)]?.name1 ?? 'X').join('');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

const chainLabel = (id: string) => (id.trim() ? `chain ${id}` : '(no chain ID)');

/** How residues were matched, in lines for the CLI and the report (first line the summary). */
export function describeMatching(m: ResidueMatching): string[] {
  const counts = `${m.matched} of ${m.modelResidues} model residues (reference ${m.referenceResidues})`;
  if (m.method === 'numbering') {
    const diff = m.matched - m.identical;
    return [`residues matched by chain and residue number: ${counts}${diff ? `, ${diff} with a different residue name` : ''}`];
  }
  const lines = [`residues matched by sequence alignment (chain IDs or numbering differ): ${counts}, ${m.identical} identical`];
  for (const c of m.chains) {
    const how = c.offset === null ? 'renumbered' : c.offset === 0 ? 'same numbering' : `reference numbering differs by ${c.offset > 0 ? '+' : ''}${c.offset}`;
    lines.push(
      `  model ${chainLabel(c.modelChain)} ${c.modelRange[0]}–${c.modelRange[1]} ↔ reference ${chainLabel(c.referenceChain)} ` +
        `${c.referenceRange[0]}–${c.referenceRange[1]}: ${c.matched} residues, ${how}`,
    );
  }
  return lines;
}
