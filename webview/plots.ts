// Hand-written SVG plots beside the 3D view: per-residue deviation bars, Ramachandran (backmapped over
// reference) and χ1/χ2 distributions. Points are drawn as a few bucketed <path>s and picked by nearest
// point, so 10k+ residues stay fast; each plot carries data-points for tests and screen readers.
import type { PerResidueRow, ResidueKey, TorsionRow } from '../src/shared/webview-protocol';
import { residueKeyString } from '../src/shared/webview-protocol';
import { RAMA_REGIONS, ramaAllowed, type RamaCategory } from '../src/core/metrics';
import { deviationRgb, rgbCss } from './scale';

const NS = 'http://www.w3.org/2000/svg';

export interface PlotData {
  perResidue: PerResidueRow[];
  backmapped: TorsionRow[];
  reference: TorsionRow[];
  maxRmsd: number;
}

export interface PlotHandlers {
  pick(r: ResidueKey): void;
  hover(r: ResidueKey | null, clientX: number, clientY: number): void;
}

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

  constructor(
    parent: HTMLElement,
    readonly id: string,
    readonly w: number,
    readonly h: number,
    private handlers: PlotHandlers,
  ) {
    this.svg = el('svg', { viewBox: `0 0 ${w} ${h}`, class: `plot plot-${id}`, role: 'img' });
    parent.appendChild(this.svg);
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

export class Plots {
  private bars: Plot;
  private rama: Plot;
  private chi1: Plot;
  private chi2: Plot;
  private stats: HTMLElement;

  constructor(container: HTMLElement, handlers: PlotHandlers) {
    const section = (title: string, hint: string): HTMLElement => {
      const s = document.createElement('section');
      const h = document.createElement('h3');
      h.textContent = title;
      h.title = hint;
      s.appendChild(h);
      container.appendChild(s);
      return s;
    };
    this.bars = new Plot(section('Per-residue RMSD (Å)', 'Bars: all heavy atoms of each residue vs the reference (after the Cα fit); ticks: backbone only. Click a bar to focus the residue.'), 'bars', 340, 120, handlers);
    this.bars.xOnly = true;
    const rs = section('Ramachandran', 'Backmapped (coloured by deviation) over reference (grey rings), a line from each reference point to its backmapped one; shaded: allowed regions (general case) as the outlier count defines them');
    this.rama = new Plot(rs, 'rama', 260, 260, handlers);
    const cs = section('χ1 / χ2 distributions', 'Reference (grey bars) vs backmapped (coloured line), 15° bins');
    this.chi1 = new Plot(cs, 'chi1', 340, 96, handlers);
    this.chi2 = new Plot(cs, 'chi2', 340, 96, handlers);
    this.stats = document.createElement('p');
    this.stats.className = 'plot-stats';
    cs.appendChild(this.stats);
  }

  render(d: PlotData): void {
    this.renderBars(d);
    this.renderRama(d);
    this.renderChi(d, 'chi1', this.chi1);
    this.renderChi(d, 'chi2', this.chi2);
    this.stats.textContent = [ramaOutliers(d), chiAgreement(d)].filter(Boolean).join(' · ');
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
    const top = Math.max(d.maxRmsd, ...rows.map((r) => r.rmsd ?? 0).filter(Number.isFinite));
    const y = (v: number) => T + H - (Math.min(v, top) / top) * H;
    axisY(p.svg, L, T, H, top, y);
    const bw = rows.length ? W / rows.length : W;
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
    const ticks = rows
      .map((r, i) => (r.rmsd_bb === null ? '' : `M${(L + i * bw).toFixed(2)} ${y(r.rmsd_bb).toFixed(1)}h${Math.max(0.6, bw * 0.85).toFixed(2)}`))
      .join('');
    if (ticks) el('path', { d: ticks, class: 'bb-tick' }, p.svg);
    // Residue numbers along x: first, middle, last.
    for (const i of [...new Set([0, Math.floor(rows.length / 2), rows.length - 1])].filter((i) => i >= 0 && i < rows.length)) {
      const t = el('text', { x: L + (i + 0.5) * bw, y: p.h - 4, class: 'tick', 'text-anchor': 'middle' }, p.svg);
      t.textContent = `${rows[i].chainId}${rows[i].resSeq}`;
    }
    p.finish();
  }

  private renderRama(d: PlotData): void {
    const p = this.rama;
    p.clear();
    const M = 26, S = p.w - M - 6;
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
      el('text', { x: x(v), y: p.h - 6, class: 'tick', 'text-anchor': 'middle' }, p.svg).textContent = String(v);
      el('text', { x: M - 3, y: y(v) + 3, class: 'tick', 'text-anchor': 'end' }, p.svg).textContent = String(v);
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
    const L = 30, R = 6, T = 14, B = 18;
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
    const top = Math.max(1, ...hr, ...hb);
    const x = (deg: number) => L + ((deg + 180) / 360) * W;
    const y = (c: number) => T + H - (c / top) * H;
    el('text', { x: L + 2, y: 10, class: 'axis-label' }, p.svg).textContent = which === 'chi1' ? 'χ1' : 'χ2';
    axisY(p.svg, L, T, H, top, y, true);
    const bw = W / nb;
    el('path', { d: hr.map((c, i) => (c ? `M${L + i * bw + 0.5} ${T + H}h${bw - 1}V${y(c)}h${-(bw - 1)}z` : '')).join(''), class: 'ref-bar' }, p.svg);
    el('path', { d: `M${L} ${T + H}` + hb.map((c) => `V${y(c)}h${bw}`).join('') + `V${T + H}`, class: 'bm-step' }, p.svg);
    for (const v of [-180, -60, 60, 180]) el('text', { x: x(v), y: p.h - 4, class: 'tick', 'text-anchor': 'middle' }, p.svg).textContent = String(v);
    // Residues as pickable points on the baseline, at their backmapped angle.
    for (const t of d.backmapped) if (t[which] !== null) p.pts.push({ x: x(t[which]!), y: T + H, key: t });
    p.finish();
  }
}

function axisY(svg: SVGSVGElement, L: number, T: number, H: number, top: number, y: (v: number) => number, integer = false): void {
  el('line', { x1: L, x2: L, y1: T, y2: T + H, class: 'axis' }, svg);
  el('line', { x1: L, x2: svg.viewBox.baseVal.width - 6, y1: T + H, y2: T + H, class: 'axis' }, svg);
  for (const v of [0, top / 2, top]) {
    el('text', { x: L - 3, y: y(v) + 3, class: 'tick', 'text-anchor': 'end' }, svg).textContent = integer ? String(Math.round(v)) : v.toFixed(1);
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
