// What the comparison webview shows, computed from core `Structure`s without `vscode` (unit-testable,
// usable from the CLI). The panel decides how each layer's text travels (inline or as a file URI).
import { residuesOf } from '../../core/structure/builder';
import type { Structure } from '../../core/structure/types';
import { formatPdb } from '../../core/structure/pdb';
import { formatMmcif } from '../../core/structure/mmcif';
import { kabsch } from '../../core/geometry/kabsch';
import { backboneTorsions, compareStructures, type CompareResult } from '../../core/metrics';
import { residueTopology } from '../../core/chemistry';
import { solventKind } from '../../core/chemistry/solvent';
import { soluteClass } from '../../core/pipeline/molecules';
import {
  finiteOrNull,
  VIEW_CLASSES,
  type ClassDeviation,
  type CompositionEntry,
  type LayerClasses,
  type ViewClass,
  residueKeyString,
  rigidToMat4,
  type ComparisonSource,
  type ComparisonSummary,
  type LayerData,
  type LayerId,
  type LayerTransform,
  type LoadMessage,
  type PerResidueRow,
  type ResidueKey,
  type SequenceResidue,
  type TorsionRow,
} from '../../shared/webview-protocol';

export interface LayerText {
  format: 'pdb' | 'cif';
  text: string;
  /** Models (trajectory frames) in `text`. */
  models: number;
  /** Atoms per model. */
  atoms: number;
  label: string;
  classes: LayerClasses;
}

/** Per-frame analysis: deviation, torsions and the Cα fit of the reference onto the frame. */
export interface FrameAnalysis {
  perResidue: PerResidueRow[];
  torsions: { backmapped?: TorsionRow[]; reference?: TorsionRow[] };
  summary?: ComparisonSummary;
  superposition?: LayerTransform;
  /** Deviation per non-protein class (present with a reference when such residues matched). */
  classDeviation?: ClassDeviation[];
}

export interface ComparisonPayload extends FrameAnalysis {
  title: string;
  layers: Partial<Record<LayerId, LayerText>>;
  frames?: { count: number; current?: number; labels?: string[] };
  source?: ComparisonSource;
  sequence?: SequenceResidue[];
  composition?: CompositionEntry[];
}

/**
 * The view's class of a residue name, as the engine sorts molecules (src/core/pipeline/molecules.ts `soluteClass`:
 * amino acids, lipids and sterols of the chemistry table, anything else a ligand; water and ions by the solvent
 * table, all-atom or Martini names).
 */
export function residueClass(resName: string): ViewClass {
  const c = soluteClass(resName);
  if (c !== 'ligand') return c as ViewClass;
  return solventKind(resName) ?? 'ligand';
}

/** Classes of the residue names of `s`, each name looked up once (a 100k-atom system has a few dozen names). */
function classifier(): (resName: string) => ViewClass {
  const cache = new Map<string, ViewClass>();
  return (name) => {
    let c = cache.get(name);
    if (c === undefined) cache.set(name, (c = residueClass(name)));
    return c;
  };
}

/** Residue names per class in `s` (the layer's class toggles select by residue name). */
export function layerClasses(s: Structure): LayerClasses {
  const classOf = classifier();
  const names = new Map<ViewClass, Set<string>>();
  const seen = new Set<string>();
  for (const n of s.atoms.resName) {
    if (seen.has(n)) continue;
    seen.add(n);
    const c = classOf(n);
    (names.get(c) ?? names.set(c, new Set()).get(c)!).add(n);
  }
  const out: LayerClasses = {};
  for (const c of VIEW_CLASSES) if (names.has(c)) out[c] = [...names.get(c)!].sort();
  return out;
}

/** Non-protein residues of `s` per name, in class order then most first ("POPC 128 · CHL1 30 · TIP3 2,000 · SOD 20"). */
export function compositionOf(s: Structure): CompositionEntry[] {
  const classOf = classifier();
  const counts = new Map<string, number>();
  for (const r of residuesOf(s.atoms)) {
    if (classOf(r.resName) === 'protein') continue;
    counts.set(r.resName, (counts.get(r.resName) ?? 0) + 1);
  }
  const order = (c: ViewClass) => VIEW_CLASSES.indexOf(c);
  return [...counts]
    .map(([resName, count]) => ({ class: classOf(resName), resName, count }))
    .sort((a, b) => order(a.class) - order(b.class) || b.count - a.count || a.resName.localeCompare(b.resName));
}

/**
 * The one RMSD definition of the extension: the backmapping report's reference RMSD (src/core/pipeline/run.ts
 * `metricsOf`: `compareStructures(model, reference)` with its defaults). The toast after "Compare with
 * reference…", the view's header and its per-residue bars all come from this call.
 */
export function referenceRmsd(model: Structure, reference: Structure): CompareResult {
  return compareStructures(model, reference);
}

/** How atoms were paired, from the comparison's own residue matching (by numbering, or by sequence alignment). */
function matchingWords(c: Pick<CompareResult, 'residueMatch'>): string {
  return c.residueMatch?.method === 'sequence'
    ? 'residues matched by sequence alignment per chain (chain IDs or numbering differ), atoms by name'
    : 'atoms matched by chain, residue number, insertion code and atom name';
}

/** What `referenceRmsd` measures, in words (the header's tooltip, the log). */
export function rmsdDefinition(c: Pick<CompareResult, 'matched' | 'missingInModel' | 'extraInModel' | 'residueMatch'>): string {
  return (
    `RMSD as in the backmapping report: heavy atoms only, no superposition (coordinates as written), ${matchingWords(c)}; ` +
    'backbone = N, CA, C, O, side chains = the other heavy atoms. ' +
    `${c.matched} atoms matched` +
    (c.missingInModel ? `, ${c.missingInModel} reference atoms without a counterpart` : '') +
    (c.extraInModel ? `, ${c.extraInModel} model atoms without a counterpart` : '') +
    '. "Superpose" only moves the reference in the view (Cα fit).'
  );
}

/** Short form for the toast after "Compare with reference…". */
export function rmsdShortDefinition(c: Pick<CompareResult, 'residueMatch'>): string {
  return `heavy atoms, no superposition, ${c.residueMatch?.method === 'sequence' ? 'residues matched by sequence alignment' : 'matched by chain/residue number/atom name'}`;
}

/** True when a structure looks coarse-grained: no residue carries the N/CA/C backbone triplet. */
export function looksCoarseGrained(s: Structure): boolean {
  let aa = 0;
  let n = 0;
  for (const r of residuesOf(s.atoms)) {
    n++;
    const names = new Set<string>();
    for (let i = r.start; i < r.end; i++) names.add(s.atoms.name[i]);
    if (names.has('N') && names.has('CA') && names.has('C')) aa++;
  }
  return n > 0 && aa < n / 2;
}

/** Amino-acid residues of `s` (known to the chemistry tables), for the sequence strip; capped for huge systems. */
export function sequenceOf(s: Structure, max = 20000): SequenceResidue[] {
  const out: SequenceResidue[] = [];
  for (const r of residuesOf(s.atoms)) {
    if (!residueTopology(r.resName)) continue;
    out.push({ chainId: r.chainId, resSeq: r.resSeq, iCode: r.iCode, resName: r.resName });
    if (out.length >= max) break;
  }
  return out;
}

export interface PayloadOptions {
  title?: string;
  /** File paths to rebuild the view after a reload (stored in the webview state). */
  source?: ComparisonSource;
  /** CG bonds as pairs of bead indices (from the mapping/topology); default: derived from bead names. */
  cgBonds?: [number, number][];
  frameLabels?: string[];
  /** Frame shown first (0-based). */
  frame?: number;
}

/** The structure with model `i` as its coordinates (metrics read `coords`). */
export function frameOf(s: Structure, i: number): Structure {
  if (s.models.length <= 1 || i === 0) return s;
  const c = s.models[Math.min(i, s.models.length - 1)];
  return { ...s, coords: c, models: [c] };
}

const isBackboneBead = (name: string) => name === 'BB' || name === 'CA' || name === 'B';

/**
 * Bead bonds when the topology is not given: consecutive backbone beads of a chain (closer than 5 Å, so
 * chain breaks stay open) and, within a residue, BB–SC1–SC2–… in bead order (Martini's side-chain chain;
 * ring closures are left out rather than guessed).
 */
export function defaultCgBonds(cg: Structure): [number, number][] {
  const a = cg.atoms;
  const c = cg.coords;
  const bonds: [number, number][] = [];
  let prevBB = -1;
  let prevChain = '';
  for (const r of residuesOf(a)) {
    let bb = -1;
    let last = -1;
    for (let i = r.start; i < r.end; i++) {
      if (isBackboneBead(a.name[i]) && bb < 0) {
        bb = i;
        if (prevBB >= 0 && prevChain === r.chainId) {
          const d = Math.hypot(c[3 * i] - c[3 * prevBB], c[3 * i + 1] - c[3 * prevBB + 1], c[3 * i + 2] - c[3 * prevBB + 2]);
          if (d < 5) bonds.push([prevBB, i]);
        }
      } else if (last >= 0) bonds.push([last, i]);
      last = i;
    }
    if (bb >= 0) {
      prevBB = bb;
      prevChain = r.chainId;
    }
  }
  return bonds;
}

/** PDB text for Mol*, with CONECT records for explicit bonds (serials as `formatPdb` numbers atoms: +1 per TER). */
export function displayText(s: Structure, bonds?: [number, number][]): { format: 'pdb' | 'cif'; text: string } {
  let text: string;
  try {
    text = formatPdb(s);
  } catch {
    // Coordinates or numbers beyond PDB columns: mmCIF has no such limits (and no CONECT needed for display).
    return { format: 'cif', text: formatMmcif(s) };
  }
  if (!bonds?.length || s.atoms.count > 99990) return { format: 'pdb', text };
  const serial = new Int32Array(s.atoms.count);
  let k = 0;
  for (let i = 0; i < s.atoms.count; i++) {
    serial[i] = ++k;
    if (i === s.atoms.count - 1 || s.atoms.chainId[i + 1] !== s.atoms.chainId[i]) k++;
  }
  const partners = new Map<number, number[]>();
  for (const [i, j] of bonds) {
    if (i < 0 || j < 0 || i >= s.atoms.count || j >= s.atoms.count || i === j) continue;
    (partners.get(i) ?? partners.set(i, []).get(i)!).push(j);
    (partners.get(j) ?? partners.set(j, []).get(j)!).push(i);
  }
  const lines: string[] = [];
  for (const [i, js] of [...partners].sort((x, y) => x[0] - y[0]))
    for (let o = 0; o < js.length; o += 4)
      lines.push('CONECT' + [i, ...js.slice(o, o + 4)].map((x) => String(serial[x]).padStart(5, ' ')).join('') + '\n');
  return { format: 'pdb', text: text.replace(/END\n$/, '') + lines.join('') + 'END\n' };
}

/** Cα (or CG backbone bead) coordinates by residue key. */
function anchors(s: Structure, names: string[]): Map<string, [number, number, number]> {
  const out = new Map<string, [number, number, number]>();
  const a = s.atoms;
  for (let i = 0; i < a.count; i++) {
    if (!names.includes(a.name[i]) || a.altLoc[i] && a.altLoc[i] !== 'A') continue;
    const key = residueKeyString({ chainId: a.chainId[i], resSeq: a.resSeq[i], iCode: a.iCode[i] });
    if (!out.has(key)) out.set(key, [s.coords[3 * i], s.coords[3 * i + 1], s.coords[3 * i + 2]]);
  }
  return out;
}

/**
 * Fit of the reference onto the target (backmapped, else the CG backbone beads) on matched Cα, by residue
 * key; when no key matches (renumbered or re-chained files with the same length) by residue order.
 */
export function superposeReference(target: Structure, reference: Structure, targetIsCg = false): LayerTransform | undefined {
  const t = anchors(target, targetIsCg ? ['BB', 'CA', 'B'] : ['CA']);
  const r = anchors(reference, ['CA']);
  let pairs: [[number, number, number], [number, number, number]][] = [];
  for (const [k, q] of t) {
    const p = r.get(k);
    if (p) pairs.push([p, q]);
  }
  if (pairs.length < 3 && t.size === r.size) {
    const tv = [...t.values()], rv = [...r.values()];
    pairs = rv.map((p, i) => [p, tv[i]]);
  }
  if (pairs.length < 3) return undefined;
  const P = new Float64Array(pairs.length * 3), Q = new Float64Array(pairs.length * 3);
  pairs.forEach(([p, q], i) => {
    P.set(p, 3 * i);
    Q.set(q, 3 * i);
  });
  const fit = kabsch(P, Q);
  if (!Number.isFinite(fit.rmsd)) return undefined;
  return { layer: 'reference', matrix: rigidToMat4(fit.R, fit.t), rmsd: fit.rmsd, matched: pairs.length };
}

function torsionRows(s: Structure): TorsionRow[] {
  return backboneTorsions(s).map((t) => ({
    chainId: t.chainId,
    resSeq: t.resSeq,
    iCode: t.iCode,
    resName: t.resName,
    phi: finiteOrNull(t.phi),
    psi: finiteOrNull(t.psi),
    omega: finiteOrNull(t.omega),
    chi1: finiteOrNull(t.chi1),
    chi2: finiteOrNull(t.chi2),
  }));
}

/** Deviation, torsions and fit for one frame (`frame` indexes the models of cg/backmapped). */
export function analyseFrame(cg: Structure | undefined, backmapped: Structure | undefined, reference: Structure | undefined, frame = 0): FrameAnalysis {
  const bm = backmapped && frameOf(backmapped, frame);
  const out: FrameAnalysis = { perResidue: [], torsions: {} };
  if (bm) out.torsions.backmapped = torsionRows(bm);
  if (reference) out.torsions.reference = torsionRows(reference);
  if (bm && reference) {
    const c = referenceRmsd(bm, reference);
    const classOf = classifier();
    // Rows for every residue but water: placed waters are not the reference's waters (a bead stands for four),
    // so their per-residue values say nothing, and they would be most of the rows of a solvated system.
    const byClass = new Map<ViewClass, { residues: number; atoms: number; sum: number }>();
    for (const r of c.perResidue) {
      const cls = classOf(r.resName);
      if (cls !== 'protein' && r.matched > 0) {
        const acc = byClass.get(cls) ?? byClass.set(cls, { residues: 0, atoms: 0, sum: 0 }).get(cls)!;
        acc.residues++;
        acc.atoms += r.matched;
        acc.sum += r.rmsd * r.rmsd * r.matched;
      }
      if (cls === 'water') continue;
      out.perResidue.push({
        chainId: r.chainId,
        resSeq: r.resSeq,
        iCode: r.iCode,
        resName: r.resName,
        rmsd: finiteOrNull(r.rmsd),
        rmsd_bb: finiteOrNull(r.rmsd_bb),
        rmsd_sc: finiteOrNull(r.rmsd_sc),
        ...(cls === 'protein' ? {} : { class: cls }),
      });
    }
    if (byClass.size)
      out.classDeviation = VIEW_CLASSES.filter((k) => byClass.has(k)).map((k) => {
        const a = byClass.get(k)!;
        return { class: k, residues: a.residues, atoms: a.atoms, rmsd: finiteOrNull(Math.sqrt(a.sum / a.atoms)) };
      });
    out.summary = { rmsd_bb: finiteOrNull(c.rmsd_bb), rmsd_sc: finiteOrNull(c.rmsd_sc), rmsd_all: finiteOrNull(c.rmsd_all), matched: c.matched, definition: rmsdDefinition(c) };
  }
  if (reference && (bm || cg)) out.superposition = bm ? superposeReference(bm, reference) : superposeReference(frameOf(cg!, frame), reference, true);
  return out;
}

/**
 * Everything the comparison view needs from up to three structures. A multi-model `cg`/`backmapped`
 * (a backmapped trajectory) becomes a frame slider; the reference is a single structure.
 */
export function buildComparisonPayload(cg?: Structure, backmapped?: Structure, reference?: Structure, opts: PayloadOptions = {}): ComparisonPayload {
  if (!cg && !backmapped && !reference) throw new Error('buildComparisonPayload: no structure to show');
  const count = Math.max(cg?.models.length ?? 1, backmapped?.models.length ?? 1);
  const frame = Math.max(0, Math.min(opts.frame ?? 0, count - 1));
  const layers: ComparisonPayload['layers'] = {};
  const layer = (s: Structure, label: string, bonds?: [number, number][]): LayerText => ({
    ...displayText(s, bonds),
    models: s.models.length,
    atoms: s.atoms.count,
    label,
    classes: layerClasses(s),
  });
  if (cg) layers.cg = layer(cg, 'CG beads', opts.cgBonds ?? defaultCgBonds(cg));
  if (backmapped) layers.backmapped = layer(backmapped, 'Backmapped');
  // The reference is one structure: a multi-model reference shows its first model.
  if (reference) layers.reference = layer(reference.models.length > 1 ? frameOf(reference, 0) : reference, 'Reference');
  const name = (s?: Structure) => (s ? s.source.split(/[\\/]/).pop() : undefined);
  const title = opts.title ?? [name(backmapped) ?? name(cg), name(reference)].filter(Boolean).join(' vs ');
  return {
    title,
    layers,
    ...analyseFrame(cg, backmapped, reference, frame),
    frames: count > 1 ? { count, current: frame, labels: opts.frameLabels } : undefined,
    source: opts.source,
    sequence: sequenceOf(backmapped ?? reference ?? cg!),
    composition: compositionOf(backmapped ?? reference ?? cg!),
  };
}

/** The `load` message, given how each layer travels (inline text or a webview URI). */
export function toLoadMessage(p: ComparisonPayload, layerData: Partial<Record<LayerId, LayerData>>, opts: { streamed?: boolean } = {}): LoadMessage {
  return {
    type: 'load',
    title: p.title,
    layers: layerData,
    perResidue: p.perResidue,
    torsions: p.torsions,
    summary: p.summary,
    superposition: p.superposition,
    frames: p.frames ? { ...p.frames, streamed: opts.streamed } : undefined,
    source: p.source,
    sequence: p.sequence?.length ? p.sequence : undefined,
    composition: p.composition?.length ? p.composition : undefined,
    classDeviation: p.classDeviation,
  };
}

/** Residue keys on the given 0-based lines of a PDB/GRO/mmCIF document (for editor-selection highlighting). */
export function residuesOnLines(s: Structure, lines: Iterable<number>): ResidueKey[] {
  const want = new Set<number>();
  for (const l of lines) want.add(l + 1);
  const seen = new Set<string>();
  const out: ResidueKey[] = [];
  const a = s.atoms;
  for (let i = 0; i < a.count; i++) {
    if (!want.has(a.sourceLine[i])) continue;
    const r = { chainId: a.chainId[i], resSeq: a.resSeq[i], iCode: a.iCode[i] };
    const k = residueKeyString(r);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(r);
    }
  }
  return out;
}

/** 1-based source line of the first atom of a residue (to reveal it in the editor), or undefined. */
export function lineOfResidue(s: Structure, r: ResidueKey): number | undefined {
  const a = s.atoms;
  for (let i = 0; i < a.count; i++)
    if (a.resSeq[i] === r.resSeq && a.chainId[i] === r.chainId && a.iCode[i] === r.iCode) return a.sourceLine[i] || undefined;
  // Chain ids lost on the way (GRO has none): fall back to the number alone.
  for (let i = 0; i < a.count; i++) if (a.resSeq[i] === r.resSeq && a.iCode[i] === r.iCode) return a.sourceLine[i] || undefined;
  return undefined;
}
