// Hand-written SVG plots beside the 3D view: per-residue deviation bars, Ramachandran (backmapped over
// reference) and χ1/χ2 distributions. Points are drawn as a few bucketed <path>s and picked by nearest
// point, so 10k+ residues stay fast; each plot carries data-points for tests and screen readers.
import type { ClassDeviation, PerResidueRow, ResidueKey, TorsionRow, ViewClass } from '../src/shared/webview-protocol';
import { residueKeyString } from '../src/shared/webview-protocol';
import { RAMA_REGIONS, ramaAllowed, type RamaCategory } from '../src/core/metrics';
import { deviationRgb, rgbCss } from './scale';
import { SS_LABEL, type SecondaryStructure } from './secondary';

const NS = 'http://www.w3.org/2000/svg';

export interface PlotData {
  /** Every residue's deviation; the bars show the protein's (rows without a class). */
  perResidue: PerResidueRow[];
  backmapped: TorsionRow[];
  reference: TorsionRow[];
  maxRmsd: number;
  /** Residue key → secondary structure (the track above the per-residue bars). */
  secondary?: Map<string, SecondaryStructure>;
  /** The other classes, one value each (the note under the bars). */
  classDeviation?: ClassDeviation[];
}

const CLASS_WORDS: Record<ViewClass, string> = { protein: 'protein', lipid: 'lipids', sterol: 'sterols', ligand: 'ligands', water: 'water', ion: 'ions' };
const count = (n: number) => n.toLocaleString('en-US');

/** What is loaded, for the empty states (each plot says why it is empty and what would fill it). */
export interface PlotContext {
  reference: boolean;
  /** An all-atom layer (backmapped or reference) is loaded: torsions can exist. */
  atoms: boolean;
  /** A reference can be added from the view ("Compare with reference…"). */
  canAddReference: boolean;
}

export interface PlotHandlers {
  pick(r: ResidueKey): void;
  hover(r: ResidueKey | null, clientX: number, clientY: number): void;
  /** "Compare with reference…" from the empty per-residue plot. */
  requestReference?(): void;
}

/**
 * Round axis ticks: 0 and steps of 1, 2, 2.5 or 5 × 10^k up to a top at or above `max` (0/10/20, not 0/11/21).
 * `integer` keeps steps ≥ 1 (counts).
 */
export function niceTicks(max: number, target = 4, integer = false): { top: number; ticks: number[] } {
  if (!(max > 0)) return { top: 1, ticks: [0, 1] };
  const raw = max / target;
  const p10 = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * p10).find((s) => s >= raw * 0.999) ?? 10 * p10;
  if (integer) step = Math.max(1, Math.round(step) === step ? step : Math.ceil(step));
  const top = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(Number(v.toFixed(10)));
  return { top, ticks };
}

/** A tick's text: integers as they are, others with the decimals the step needs. */
const tickText = (v: number, step: number) => (Number.isInteger(step) ? String(Math.round(v)) : v.toFixed(step < 0.1 ? 2 : 1));

/** Angles on an axis: −180…180 with a degree sign (a real minus sign, as typeset). */
const degrees = (v: number) => `${v < 0 ? '−' : ''}${Math.abs(v)}°`;

const SS_COLOURS: Record<SecondaryStructure, string> = { H: '#e0577a', E: '#f2c94c', C: 'transparent' };

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

const BUCKETS = 16;
const bucketOf = (rmsd: number | null, max: number): number =>
  rmsd === null || !Number.isFinite(rmsd) ? BUCKETS : Math.min(BUCKETS - 1, Math.floor((Math.max(0, rmsd) / max) * BUCKETS));
const bucketColour = (b: number, max: number): string => rgbCss(deviationRgb(b === BUCKETS ? null : ((b + 0.5) / BUCKETS) * max, max));

interface Pt {
  x: number;
  y: number;
  key: ResidueKey;
}

/** One SVG plot with nearest-point picking in screen space. */
class Plot {
  readonly svg: SVGSVGElement;
  pts: Pt[] = [];
  /** Picking by x only (bar chart) instead of nearest point. */
  xOnly = false;
  private marker: SVGGElement;
  /** Text shown over an empty plot (why it is empty). */
  readonly empty: HTMLElement;

  constructor(
    parent: HTMLElement,
    readonly id: string,
    readonly w: number,
    readonly h: number,
    private handlers: PlotHandlers,
  ) {
    this.svg = el('svg', { viewBox: `0 0 ${w} ${h}`, class: `plot plot-${id}`, role: 'img' });
    parent.appendChild(this.svg);
    this.empty = document.createElement('p');
    this.empty.className = `plot-empty plot-empty-${id}`;
    this.empty.hidden = true;
    parent.appendChild(this.empty);
    this.marker = el('g', { class: 'marker' });
    this.svg.addEventListener('click', (e) => {
      const p = this.nearest(e);
      if (p) handlers.pick(p.key);
    });
    this.svg.addEventListener('mousemove', (e) => {
      const p = this.nearest(e);
      handlers.hover(p ? p.key : null, e.clientX, e.clientY);
    });
    this.svg.addEventListener('mouseleave', (e) => handlers.hover(null, e.clientX, e.clientY));
  }

  clear(): void {
    this.svg.replaceChildren();
    this.pts = [];
    this.svg.style.display = '';
    this.empty.hidden = true;
  }

  /** Replaces the plot by a sentence saying why it is empty (and, optionally, an action that fills it). */
  showEmpty(text: string, action?: { label: string; run(): void }): void {
    this.svg.style.display = 'none';
    this.svg.dataset.points = '0';
    this.empty.replaceChildren(text);
    if (action) {
      const b = document.createElement('button');
      b.className = 'link-button';
      b.textContent = action.label;
      b.addEventListener('click', () => action.run());
      this.empty.append(' ', b);
    }
    this.empty.hidden = false;
  }

  finish(): void {
    this.svg.appendChild(this.marker);
    this.svg.dataset.points = String(this.pts.length);
  }

  private nearest(e: MouseEvent): Pt | null {
    const r = this.svg.getBoundingClientRect();
    if (!r.width || !this.pts.length) return null;
    const x = ((e.clientX - r.left) / r.width) * this.w;
    const y = ((e.clientY - r.top) / r.height) * this.h;
    let best: Pt | null = null;
    let bd = this.xOnly ? 12 ** 2 : 10 ** 2;
    for (const p of this.pts) {
      const d = this.xOnly ? (p.x - x) ** 2 : (p.x - x) ** 2 + (p.y - y) ** 2;
      if (d < bd) {
        bd = d;
        best = p;
      }
    }
    return best;
  }

  /** Rings/lines over the selected residues. */
  mark(keys: Set<string>): void {
    this.marker.replaceChildren();
    for (const p of this.pts) {
      if (!keys.has(residueKeyString(p.key))) continue;
      if (this.xOnly) el('line', { x1: p.x, x2: p.x, y1: 14, y2: this.h - 18, class: 'sel-line' }, this.marker);
      else el('circle', { cx: p.x, cy: p.y, r: 5, class: 'sel-ring' }, this.marker);
    }
  }
}

function dotsPath(pts: { x: number; y: number }[], r: number): string {
  // Each dot is two arcs; one path per colour bucket keeps the DOM small.
  return pts.map((p) => `M${(p.x - r).toFixed(1)} ${p.y.toFixed(1)}a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0`).join('');
}

/** A legend row: small SVG symbols with their meaning (HTML, so it wraps and reads well at any width). */
function legendRow(items: [symbol: string, text: string][]): HTMLElement {
  const div = document.createElement('div');
  div.className = 'plot-legend';
  for (const [symbol, text] of items) {
    const span = document.createElement('span');
    span.className = 'plot-legend-item';
    const svg = el('svg', { viewBox: '0 0 16 10', width: 16, height: 10, class: 'legend-symbol' });
    svg.innerHTML = symbol;
    span.append(svg, text);
    div.append(span);
  }
  return div;
}

const SYMBOLS = {
  filledDot: '<circle cx="8" cy="5" r="3.2" fill="rgb(171,217,233)" stroke="rgba(0,0,0,0.35)" stroke-width="0.5"/>',
  ring: '<circle cx="8" cy="5" r="3" fill="none" stroke="#a0a4aa" stroke-width="1.2"/>',
  shift: '<line x1="2" y1="8" x2="14" y2="2" class="rama-link"/>',
  orangeLine: '<path d="M1 8V3h7v4h7" fill="none" stroke="#f2a93b" stroke-width="1.6"/>',
  greyBar: '<rect x="3" y="2" width="10" height="8" fill="#a0a4aa" fill-opacity="0.55"/>',
  bar: '<rect x="4" y="1" width="8" height="9" fill="rgb(253,174,97)"/>',
  bbTick: '<line x1="3" y1="5" x2="13" y2="5" stroke="currentColor" stroke-width="1.2"/>',
  helix: '<rect x="1" y="3" width="14" height="4" fill="#e0577a"/>',
  strand: '<rect x="1" y="3" width="14" height="4" fill="#f2c94c"/>',
};

export class Plots {
  private bars: Plot;
  private rama: Plot;
  private chi1: Plot;
  private chi2: Plot;
  private stats: HTMLElement;
  private readout: HTMLElement;
  private classNote: HTMLElement;
  private last: PlotData | undefined;

  constructor(container: HTMLElement, private readonly handlers: PlotHandlers) {
    const section = (title: string, hint: string, legend?: HTMLElement): HTMLElement => {
      const s = document.createElement('section');
      const h = document.createElement('h3');
      h.textContent = title;
      h.title = hint;
      s.appendChild(h);
      if (legend) s.appendChild(legend);
      container.appendChild(s);
      return s;
    };
    const bs = section(
      'Per-residue RMSD (Å)',
      'Bars: all heavy atoms of each residue vs the reference (as in the backmapping report: no superposition, atoms matched by chain, residue number and name); ticks: backbone only; the band above: secondary structure from φ/ψ. Click a bar to focus the residue and show it in the file.',
      legendRow([[SYMBOLS.bar, 'all heavy atoms'], [SYMBOLS.bbTick, 'backbone'], [SYMBOLS.helix, 'helix'], [SYMBOLS.strand, 'strand']]),
    );
    this.readout = document.createElement('div');
    this.readout.className = 'plot-readout';
    this.readout.textContent = ' ';
    bs.appendChild(this.readout);
    this.bars = new Plot(bs, 'bars', 340, 120, {
      ...handlers,
      hover: (r, x, y) => {
        this.showReadout(r);
        handlers.hover(r, x, y);
      },
    });
    this.bars.xOnly = true;
    this.classNote = document.createElement('p');
    this.classNote.className = 'plot-class-note';
    this.classNote.hidden = true;
    this.classNote.title = 'RMSD over all matched heavy atoms of the class, as the header defines it; the bars and the sequence strip hold protein residues only.';
    bs.appendChild(this.classNote);
    const rs = section(
      'Ramachandran (φ, ψ in degrees)',
      'Backmapped (coloured by deviation) over reference (grey rings), a line from each reference point to its backmapped one; shaded: allowed regions (general case) as the outlier count defines them',
      legendRow([[SYMBOLS.filledDot, 'backmapped (colour: RMSD)'], [SYMBOLS.ring, 'reference'], [SYMBOLS.shift, 'shift']]),
    );
    this.rama = new Plot(rs, 'rama', 260, 260, handlers);
    const cs = section(
      'χ1 / χ2 distributions',
      'Reference (grey bars) vs backmapped (orange line), 15° bins; y: number of residues',
      legendRow([[SYMBOLS.orangeLine, 'backmapped'], [SYMBOLS.greyBar, 'reference']]),
    );
    this.chi1 = new Plot(cs, 'chi1', 340, 100, handlers);
    this.chi2 = new Plot(cs, 'chi2', 340, 100, handlers);
    this.stats = document.createElement('p');
    this.stats.className = 'plot-stats';
    cs.appendChild(this.stats);
  }

  render(d: PlotData, ctx: PlotContext = { reference: d.reference.length > 0, atoms: d.backmapped.length + d.reference.length > 0, canAddReference: false }): void {
    // Bars for protein residues only: lipids, water and ions would flood them; each other class is one value below.
    const others = d.classDeviation ?? [];
    d = { ...d, perResidue: d.perResidue.filter((r) => !r.class) };
    this.last = d;
    this.classNote.hidden = others.length === 0;
    this.classNote.textContent = others.length
      ? `Not in the bars: ${others.map((c) => `${CLASS_WORDS[c.class]} ${c.rmsd === null ? '—' : `${c.rmsd.toFixed(2)} Å`} (${count(c.residues)} residues)`).join(' · ')}`
      : '';
    if (d.perResidue.length) this.renderBars(d);
    else if (others.length) this.bars.showEmpty('No protein residue to plot: the bars show protein residues; the other classes are summarised below.');
    else if (!ctx.reference)
      this.bars.showEmpty(
        'No reference: the per-residue RMSD needs an all-atom reference structure.',
        ctx.canAddReference && this.handlers.requestReference ? { label: 'Compare with reference…', run: () => this.handlers.requestReference!() } : undefined,
      );
    else if (!ctx.atoms || !d.backmapped.length) this.bars.showEmpty('No backmapped all-atom structure to compare with the reference (CG beads have no atoms to match).');
    else this.bars.showEmpty('No residue of the reference matched the backmapped structure (chain, residue number and atom names differ).');
    this.readout.hidden = !d.perResidue.length;
    const torsions = d.backmapped.length + d.reference.length > 0;
    if (torsions) this.renderRama(d);
    else this.rama.showEmpty(ctx.atoms ? 'No residue with N, CA and C atoms: no φ/ψ to plot.' : 'No all-atom structure: φ/ψ need N, CA and C atoms (the CG layer has beads only). Backmap it to see its torsions.');
    const chi = (which: 'chi1' | 'chi2') => d.backmapped.some((t) => t[which] !== null) || d.reference.some((t) => t[which] !== null);
    for (const [which, plot] of [['chi1', this.chi1], ['chi2', this.chi2]] as const) {
      if (chi(which)) this.renderChi(d, which, plot);
      else plot.showEmpty(torsions ? `No side chain with a ${which === 'chi1' ? 'χ1' : 'χ2'} (GLY/ALA only, or side chains missing).` : '');
      if (!torsions) plot.empty.hidden = true;
    }
    this.stats.textContent = [ramaOutliers(d), chiAgreement(d)].filter(Boolean).join(' · ');
  }

  /** The hovered residue's deviation in words above the bars (the bars' own readout). */
  private showReadout(r: ResidueKey | null): void {
    const row = r && this.last?.perResidue.find((x) => x.chainId === r.chainId && x.resSeq === r.resSeq && x.iCode === r.iCode);
    if (!row) {
      this.readout.textContent = 'Hover a bar for its values; click to show the residue.';
      return;
    }
    const f = (v: number | null) => (v === null ? '—' : `${v.toFixed(2)} Å`);
    const ss = this.last?.secondary?.get(residueKeyString(row));
    this.readout.textContent = `${row.resName} ${row.chainId ? row.chainId + ':' : ''}${row.resSeq}${row.iCode} — all ${f(row.rmsd)} · backbone ${f(row.rmsd_bb)} · side chain ${f(row.rmsd_sc)}${ss ? ` · ${SS_LABEL[ss]}` : ''}`;
  }

  mark(keys: Set<string>): void {
    for (const p of [this.bars, this.rama, this.chi1, this.chi2]) p.mark(keys);
  }

  private renderBars(d: PlotData): void {
    const p = this.bars;
    p.clear();
    const rows = d.perResidue;
    const L = 30, R = 6, T = 14, B = 18;
    const W = p.w - L - R, H = p.h - T - B;
    const { top, ticks } = niceTicks(Math.max(d.maxRmsd, ...rows.map((r) => r.rmsd ?? 0).filter(Number.isFinite)), 3);
    const y = (v: number) => T + H - (Math.min(v, top) / top) * H;
    axisY(p.svg, L, T, H, ticks, y);
    el('text', { x: 2, y: T - 4, class: 'tick' }, p.svg).textContent = 'Å';
    const bw = rows.length ? W / rows.length : W;
    // Secondary structure band above the bars.
    if (d.secondary?.size) {
      const bands = new Map<SecondaryStructure, string[]>();
      rows.forEach((r, i) => {
        const ss = d.secondary!.get(residueKeyString(r));
        if (!ss || ss === 'C') return;
        (bands.get(ss) ?? bands.set(ss, []).get(ss)!).push(`M${(L + i * bw).toFixed(2)} ${T - 9}h${bw.toFixed(2)}v4h${(-bw).toFixed(2)}z`);
      });
      for (const [ss, parts] of bands) el('path', { d: parts.join(''), fill: SS_COLOURS[ss], class: `ss-band ss-${ss}` }, p.svg);
    }
    const byBucket = new Map<number, string[]>();
    rows.forEach((r, i) => {
      const x = L + i * bw;
      p.pts.push({ x: x + bw / 2, y: y(r.rmsd ?? 0), key: r });
      if (r.rmsd === null) return;
      const b = bucketOf(r.rmsd, d.maxRmsd);
      const h = Math.max(0.5, T + H - y(r.rmsd));
      const list = byBucket.get(b) ?? [];
      list.push(`M${x.toFixed(2)} ${(T + H).toFixed(1)}h${Math.max(0.6, bw * 0.85).toFixed(2)}v${(-h).toFixed(1)}h${(-Math.max(0.6, bw * 0.85)).toFixed(2)}z`);
      byBucket.set(b, list);
    });
    for (const [b, list] of byBucket) el('path', { d: list.join(''), fill: bucketColour(b, d.maxRmsd), class: 'bar' }, p.svg);
    // Backbone-only RMSD as a thin tick per residue: a good backbone with a bad bar means side chains.
    const bbTicks = rows
      .map((r, i) => (r.rmsd_bb === null ? '' : `M${(L + i * bw).toFixed(2)} ${y(r.rmsd_bb).toFixed(1)}h${Math.max(0.6, bw * 0.85).toFixed(2)}`))
      .join('');
    if (bbTicks) el('path', { d: bbTicks, class: 'bb-tick' }, p.svg);
    // Residue numbers along x at round numbers (every 5, 10, 20, 50… residues), chain breaks labelled.
    const step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].find((s) => rows.length / s <= 7) ?? 10000;
    const multiChain = new Set(rows.map((r) => r.chainId)).size > 1;
    let lastX = -Infinity;
    rows.forEach((r, i) => {
      const chainStart = i === 0 || rows[i - 1].chainId !== r.chainId;
      if (!(r.resSeq % step === 0 || (chainStart && multiChain))) return;
      const x = L + (i + 0.5) * bw;
      if (x - lastX < 24) return;
      lastX = x;
      el('line', { x1: x, x2: x, y1: T + H, y2: T + H + 3, class: 'axis' }, p.svg);
      const anchor = x > p.w - R - 12 ? 'end' : 'middle';
      el('text', { x, y: p.h - 4, class: 'tick', 'text-anchor': anchor }, p.svg).textContent = `${chainStart && multiChain ? r.chainId + ':' : ''}${r.resSeq}`;
    });
    el('text', { x: p.w - R, y: T - 4, class: 'tick', 'text-anchor': 'end' }, p.svg).textContent = 'residue';
    p.finish();
  }

  private renderRama(d: PlotData): void {
    const p = this.rama;
    p.clear();
    const M = 36, S = p.w - M - 14;
    const x = (phi: number) => M + ((phi + 180) / 360) * S;
    const y = (psi: number) => 6 + ((180 - psi) / 360) * S;
    el('rect', { x: M, y: 6, width: S, height: S, class: 'frame' }, p.svg);
    // The same general-case boxes that count Ramachandran outliers in the metrics (src/core/metrics.ts).
    for (const [f0, f1, s0, s1] of RAMA_REGIONS.general)
      el('rect', { x: x(f0), y: y(s1), width: x(f1) - x(f0), height: y(s0) - y(s1), class: 'rama-allowed' }, p.svg);
    for (const v of [-90, 0, 90]) {
      el('line', { x1: x(v), x2: x(v), y1: 6, y2: 6 + S, class: 'grid' }, p.svg);
      el('line', { x1: M, x2: M + S, y1: y(v), y2: y(v), class: 'grid' }, p.svg);
    }
    for (const v of [-180, 0, 180]) {
      el('text', { x: x(v), y: 6 + S + 12, class: 'tick', 'text-anchor': 'middle' }, p.svg).textContent = degrees(v);
      el('text', { x: M - 3, y: y(v) + 3, class: 'tick', 'text-anchor': 'end' }, p.svg).textContent = degrees(v);
    }
    el('text', { x: M + S - 2, y: 6 + S - 4, class: 'axis-label', 'text-anchor': 'end' }, p.svg).textContent = 'φ';
    el('text', { x: M + 4, y: 18, class: 'axis-label' }, p.svg).textContent = 'ψ';

    const rmsd = new Map(d.perResidue.map((r) => [residueKeyString(r), r.rmsd]));
    const refByKey = new Map(d.reference.map((t) => [residueKeyString(t), t]));
    const refPts: { x: number; y: number }[] = [];
    for (const t of d.reference) if (t.phi !== null && t.psi !== null) refPts.push({ x: x(t.phi), y: y(t.psi) });
    if (refPts.length) el('path', { d: dotsPath(refPts, 2.2), class: 'ref-dot' }, p.svg);
    const links: string[] = [];
    const byBucket = new Map<number, { x: number; y: number }[]>();
    for (const t of d.backmapped) {
      if (t.phi === null || t.psi === null) continue;
      const k = residueKeyString(t);
      const pt = { x: x(t.phi), y: y(t.psi) };
      const r = refByKey.get(k);
      // A line from the reference to the backmapped angle shows the shift; skipped across the ±180 seam.
      if (r && r.phi !== null && r.psi !== null && Math.abs(r.phi - t.phi) < 180 && Math.abs(r.psi - t.psi) < 180 && d.backmapped.length <= 800)
        links.push(`M${x(r.phi).toFixed(1)} ${y(r.psi).toFixed(1)}L${pt.x.toFixed(1)} ${pt.y.toFixed(1)}`);
      const b = bucketOf(rmsd.get(k) ?? null, d.maxRmsd);
      (byBucket.get(b) ?? byBucket.set(b, []).get(b)!).push(pt);
      p.pts.push({ ...pt, key: t });
    }
    if (links.length) el('path', { d: links.join(''), class: 'rama-link' }, p.svg);
    for (const [b, pts] of byBucket) el('path', { d: dotsPath(pts, 2.4), fill: bucketColour(b, d.maxRmsd), class: 'bm-dot' }, p.svg);
    // Reference points are pickable too (when the backmapped one is missing).
    const have = new Set(p.pts.map((q) => residueKeyString(q.key)));
    for (const t of d.reference) if (t.phi !== null && t.psi !== null && !have.has(residueKeyString(t))) p.pts.push({ x: x(t.phi), y: y(t.psi), key: t });
    p.finish();
  }

  private renderChi(d: PlotData, which: 'chi1' | 'chi2', p: Plot): void {
    p.clear();
    const L = 30, R = 14, T = 14, B = 20;
    const W = p.w - L - R, H = p.h - T - B;
    const nb = 24;
    const hist = (rows: TorsionRow[]) => {
      const h = new Array<number>(nb).fill(0);
      for (const t of rows) {
        const v = t[which];
        if (v === null) continue;
        h[Math.min(nb - 1, Math.floor(((v + 180) / 360) * nb))]++;
      }
      return h;
    };
    const hr = hist(d.reference), hb = hist(d.backmapped);
    const { top, ticks } = niceTicks(Math.max(1, ...hr, ...hb), 3, true);
    const x = (deg: number) => L + ((deg + 180) / 360) * W;
    const y = (c: number) => T + H - (c / top) * H;
    el('text', { x: L + 4, y: 10, class: 'axis-label' }, p.svg).textContent = `${which === 'chi1' ? 'χ1' : 'χ2'} (°)`;
    el('text', { x: p.w - R, y: 10, class: 'tick', 'text-anchor': 'end' }, p.svg).textContent = 'residues per 15° bin';
    axisY(p.svg, L, T, H, ticks, y);
    const bw = W / nb;
    el('path', { d: hr.map((c, i) => (c ? `M${L + i * bw + 0.5} ${T + H}h${bw - 1}V${y(c)}h${-(bw - 1)}z` : '')).join(''), class: 'ref-bar' }, p.svg);
    el('path', { d: `M${L} ${T + H}` + hb.map((c) => `V${y(c)}h${bw}`).join('') + `V${T + H}`, class: 'bm-step' }, p.svg);
    for (const v of [-180, -60, 60, 180]) {
      el('line', { x1: x(v), x2: x(v), y1: T + H, y2: T + H + 3, class: 'axis' }, p.svg);
      el('text', { x: x(v), y: p.h - 5, class: 'tick', 'text-anchor': 'middle' }, p.svg).textContent = degrees(v);
    }
    // Residues as pickable points on the baseline, at their backmapped angle.
    for (const t of d.backmapped) if (t[which] !== null) p.pts.push({ x: x(t[which]!), y: T + H, key: t });
    p.finish();
  }
}

function axisY(svg: SVGSVGElement, L: number, T: number, H: number, ticks: number[], y: (v: number) => number): void {
  el('line', { x1: L, x2: L, y1: T, y2: T + H, class: 'axis' }, svg);
  el('line', { x1: L, x2: svg.viewBox.baseVal.width - 6, y1: T + H, y2: T + H, class: 'axis' }, svg);
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  for (const v of ticks) {
    if (v > 0) el('line', { x1: L, x2: svg.viewBox.baseVal.width - 6, y1: y(v), y2: y(v), class: 'grid' }, svg);
    el('text', { x: L - 3, y: y(v) + 3, class: 'tick', 'text-anchor': 'end' }, svg).textContent = tickText(v, step);
  }
}

/** Share of residues whose backmapped χ is within 40° of the reference (wrapped), per angle. */
export function chiAgreement(d: PlotData): string {
  const ref = new Map(d.reference.map((t) => [residueKeyString(t), t]));
  const parts: string[] = [];
  for (const which of ['chi1', 'chi2'] as const) {
    let n = 0, ok = 0;
    for (const t of d.backmapped) {
      const r = ref.get(residueKeyString(t));
      const a = t[which], b = r?.[which];
      if (a === null || b === null || b === undefined) continue;
      n++;
      const diff = Math.abs(((a - b + 540) % 360) - 180);
      if (diff <= 40) ok++;
    }
    if (n) parts.push(`${which === 'chi1' ? 'χ1' : 'χ2'} within 40°: ${ok}/${n} (${((100 * ok) / n).toFixed(0)} %)`);
  }
  return parts.join(' · ') || 'No side-chain torsions to compare.';
}

const ramaCategory = (resName: string): RamaCategory => (resName === 'GLY' ? 'glycine' : resName === 'PRO' ? 'proline' : 'general');

/** Ramachandran outliers (metrics' box model) of the backmapped and the reference structure. */
export function ramaOutliers(d: PlotData): string {
  const count = (rows: TorsionRow[]) => {
    let n = 0, out = 0;
    for (const t of rows) {
      if (t.phi === null || t.psi === null) continue;
      n++;
      if (!ramaAllowed(ramaCategory(t.resName), t.phi, t.psi)) out++;
    }
    return { n, out };
  };
  const b = count(d.backmapped), r = count(d.reference);
  if (!b.n && !r.n) return '';
  const parts = [];
  if (b.n) parts.push(`Rama outliers: backmapped ${b.out}/${b.n}`);
  if (r.n) parts.push(`${b.n ? '' : 'Rama outliers: '}reference ${r.out}/${r.n}`);
  return parts.join(', ');
}
