// Backmap Studio comparison webview: CG beads, backmapped and reference structures in one Mol* view,
// with per-residue deviation colouring, Ramachandran/χ/deviation plots and a trajectory frame slider.
// Talks to `src/extension/compare/panel.ts` only through `src/shared/webview-protocol.ts`.
import './style.css';
import { Mat4 } from 'molstar/lib/mol-math/linear-algebra';
import {
  isExtensionToWebview,
  LAYER_IDS,
  residueKeyString,
  type ComparisonSource,
  type ExtensionToWebview,
  type FrameMessage,
  type LayerData,
  type LayerId,
  type LayerTransform,
  type LoadMessage,
  type PerResidueRow,
  type ResidueKey,
  type TorsionRow,
  type WebviewToExtension,
} from '../src/shared/webview-protocol';
import { Plots } from './plots';
import { BEAD_COLOURS, deviationGradientCss, hexCss, REFERENCE_COLOUR } from './scale';
import { themeData } from './themes';
import { CompareViewer, type LayerInput, type PickInfo } from './viewer';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What survives a window reload (with the extension's serializer rebuilding the data from `source`). */
interface ViewState {
  visible: Record<LayerId, boolean>;
  superposed: boolean;
  frame: number;
  selected: ResidueKey[];
  title?: string;
  source?: ComparisonSource;
}

const vscode = acquireVsCodeApi();
const post = (m: WebviewToExtension) => vscode.postMessage(m);

const saved = vscode.getState() as Partial<ViewState> | undefined;
const state: ViewState = {
  visible: { cg: true, backmapped: true, reference: true, ...(saved?.visible ?? {}) },
  superposed: saved?.superposed ?? false,
  frame: saved?.frame ?? 0,
  selected: Array.isArray(saved?.selected) ? saved!.selected : [],
  title: saved?.title,
  source: saved?.source,
};
const persist = () => vscode.setState(state);

const LAYER_LABEL: Record<LayerId, string> = { cg: 'CG beads', backmapped: 'Backmapped', reference: 'Reference' };

// ------------------------------------------------------------------ DOM
function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<string, string>> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
const titleEl = h('span', { class: 'title' }, state.title ?? 'Backmap comparison');
const toggles = h('span', { class: 'toggles' });
const toggleInputs = {} as Record<LayerId, HTMLInputElement>;
for (const id of LAYER_IDS) {
  const input = h('input', { type: 'checkbox', 'data-layer': id, id: `layer-${id}` });
  input.checked = state.visible[id];
  input.addEventListener('change', () => setVisible(id, input.checked));
  const swatch = h('span', { class: `swatch swatch-${id}` });
  const label = h('label', { for: `layer-${id}`, class: 'layer', 'data-layer': id }, input, swatch, LAYER_LABEL[id]);
  toggleInputs[id] = input;
  toggles.appendChild(label);
}
const superposeBtn = h('button', { id: 'superpose', title: 'Fit the reference onto the backmapped structure (Kabsch on matched Cα)' }, 'Superpose');
superposeBtn.addEventListener('click', () => void run(() => toggleSuperpose()));
const resetBtn = h('button', { id: 'reset-camera', class: 'secondary', title: 'Reset the camera' }, 'Reset view');
resetBtn.addEventListener('click', () => viewer?.resetCamera());
const summaryEl = h('span', { class: 'summary' });
const header = h('header', {}, titleEl, toggles, superposeBtn, resetBtn, summaryEl);

const viewport = h('div', { id: 'viewport' }) as HTMLDivElement;
const legend = h('div', { class: 'legend' });
const tooltip = h('div', { class: 'tooltip', hidden: '' });
const banner = h('div', { class: 'banner', hidden: '' });
const stage = h('div', { class: 'stage' }, viewport, legend, banner);
const plotsEl = h('aside', { id: 'plots' });
const main = h('main', {}, stage, plotsEl);

const slider = h('input', { type: 'range', id: 'frame', min: '0', max: '0', value: '0', step: '1' });
const frameLabel = h('span', { class: 'frame-label' });
const footer = h('footer', { hidden: '' }, h('span', {}, 'Frame'), slider, frameLabel);
slider.addEventListener('input', () => void run(() => setFrame(Number(slider.value))));

app.append(header, main, footer);
document.body.appendChild(tooltip);

// ------------------------------------------------------------------ data of the current comparison
let viewer: CompareViewer | null = null;
let perResidue = new Map<string, PerResidueRow>();
let torsions = { backmapped: new Map<string, TorsionRow>(), reference: new Map<string, TorsionRow>() };
let superposition: LayerTransform | undefined;
let frames = { count: 1, streamed: false, labels: [] as string[] };
let layerModels: Partial<Record<LayerId, number>> = {};
const plotRows: { perResidue: PerResidueRow[]; backmapped: TorsionRow[]; reference: TorsionRow[] } = { perResidue: [], backmapped: [], reference: [] };

const plots = new Plots(plotsEl, {
  pick: (r) => void run(() => selectResidues([r], true, true)),
  hover: (r, x, y) => {
    viewer?.hoverResidue(r);
    showTooltip(r ? { layer: 'backmapped', residue: r, resName: residueName(r), atomName: '' } : null, x, y);
  },
});

function residueName(r: ResidueKey): string {
  const k = residueKeyString(r);
  return perResidue.get(k)?.resName ?? torsions.backmapped.get(k)?.resName ?? torsions.reference.get(k)?.resName ?? '';
}

// Mol* and our own code run message by message, in order: a `setFrame` never overtakes its `load`.
let queue: Promise<void> = Promise.resolve();
function run(task: () => Promise<void> | void): Promise<void> {
  queue = queue.then(task).catch((e: unknown) => reportError(e));
  return queue;
}

function reportError(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  banner.textContent = message;
  banner.hidden = false;
  post({ type: 'error', message, detail: e instanceof Error ? e.stack : undefined });
}

// ------------------------------------------------------------------ theme
/** VS Code's editor background for the 3D canvas, so the view matches light, dark and high-contrast themes. */
function applyThemeColours(): void {
  const css = getComputedStyle(document.body);
  const bg = css.getPropertyValue('--vscode-editor-background').trim() || css.backgroundColor;
  const rgb = parseCssColour(bg);
  if (rgb !== null) viewer?.setBackground(rgb);
}

function parseCssColour(c: string): number | null {
  let m = /^#([0-9a-f]{6})/i.exec(c);
  if (m) return parseInt(m[1], 16);
  m = /^#([0-9a-f]{3})$/i.exec(c);
  if (m) return parseInt(m[1].split('').map((x) => x + x).join(''), 16);
  m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(c);
  if (m) return (Number(m[1]) << 16) | (Number(m[2]) << 8) | Number(m[3]);
  return null;
}

function renderLegend(): void {
  legend.replaceChildren();
  if (state.visible.backmapped && viewer?.layers.includes('backmapped') && perResidue.size) {
    const bar = h('div', { class: 'gradient' });
    bar.style.background = deviationGradientCss();
    legend.append(
      h('div', { class: 'legend-title' }, 'Per-residue RMSD vs reference'),
      bar,
      h('div', { class: 'gradient-ticks' }, h('span', {}, '0'), h('span', {}, `${(themeData.maxRmsd / 2).toFixed(1)}`), h('span', {}, `≥ ${themeData.maxRmsd.toFixed(1)} Å`)),
    );
    const na = h('span', { class: 'chip' });
    na.style.background = '#969696';
    legend.append(h('div', { class: 'legend-row' }, na, 'no reference atom'));
  }
  if (state.visible.cg && viewer?.layers.includes('cg')) {
    const row = h('div', { class: 'legend-row' });
    for (const [name, c] of Object.entries(BEAD_COLOURS)) {
      if (name === 'OTHER' || name === 'SC5') continue;
      const chip = h('span', { class: 'chip round' });
      chip.style.background = hexCss(c);
      row.append(chip, name === 'BB' ? 'BB' : name);
    }
    legend.append(h('div', { class: 'legend-title' }, 'CG beads'), row);
  }
  if (state.visible.reference && viewer?.layers.includes('reference')) {
    const chip = h('span', { class: 'chip' });
    chip.style.background = hexCss(REFERENCE_COLOUR);
    legend.append(h('div', { class: 'legend-row' }, chip, 'reference'));
  }
  legend.hidden = legend.childElementCount === 0;
}

// ------------------------------------------------------------------ tooltip
const fmt = (v: number | null | undefined, d = 0) => (v === null || v === undefined ? '—' : v.toFixed(d));
function showTooltip(p: PickInfo | null, x: number, y: number): void {
  if (!p) {
    tooltip.hidden = true;
    return;
  }
  const k = residueKeyString(p.residue);
  const dev = perResidue.get(k);
  const tb = torsions.backmapped.get(k), tr = torsions.reference.get(k);
  const name = `${p.resName || residueName(p.residue)} ${p.residue.chainId ? p.residue.chainId + ':' : ''}${p.residue.resSeq}${p.residue.iCode}`;
  const rows: [string, string][] = [];
  if (p.atomName) rows.push(['atom', `${p.atomName} (${LAYER_LABEL[p.layer].toLowerCase()})`]);
  if (dev) rows.push(['RMSD', `${fmt(dev.rmsd, 2)} Å (bb ${fmt(dev.rmsd_bb, 2)}, sc ${fmt(dev.rmsd_sc, 2)})`]);
  for (const a of ['phi', 'psi', 'chi1', 'chi2'] as const) {
    if ((tb?.[a] ?? null) === null && (tr?.[a] ?? null) === null) continue;
    rows.push([{ phi: 'φ', psi: 'ψ', chi1: 'χ1', chi2: 'χ2' }[a], `${fmt(tb?.[a])}° (ref ${fmt(tr?.[a])}°)`]);
  }
  tooltip.replaceChildren(h('div', { class: 'tt-title' }, name), ...rows.map(([a, b]) => h('div', {}, h('span', { class: 'tt-key' }, a), ' ', b)));
  tooltip.hidden = false;
  const r = tooltip.getBoundingClientRect();
  tooltip.style.left = `${Math.min(x + 14, window.innerWidth - r.width - 4)}px`;
  tooltip.style.top = `${Math.min(y + 14, window.innerHeight - r.height - 4)}px`;
}

// ------------------------------------------------------------------ actions
async function layerText(d: LayerData): Promise<string> {
  if (typeof d.data === 'string') return d.data;
  if (d.data instanceof Uint8Array) return new TextDecoder().decode(d.data);
  const res = await fetch(d.uri!);
  if (!res.ok) throw new Error(`Could not fetch ${d.label ?? d.uri}: HTTP ${res.status}`);
  return res.text();
}

const matrixFor = (layer: LayerId): Mat4 | null =>
  state.superposed && superposition && superposition.layer === layer ? Mat4.fromArray(Mat4(), superposition.matrix, 0) : null;

function setTables(rows: PerResidueRow[] | undefined, t: { backmapped?: TorsionRow[]; reference?: TorsionRow[] } | undefined): void {
  if (rows) {
    perResidue = new Map(rows.map((r) => [residueKeyString(r), r]));
    themeData.rmsd = new Map(rows.map((r) => [residueKeyString(r), r.rmsd]));
    plotRows.perResidue = rows;
  }
  if (t) {
    torsions = {
      backmapped: new Map((t.backmapped ?? []).map((r) => [residueKeyString(r), r])),
      reference: new Map((t.reference ?? []).map((r) => [residueKeyString(r), r])),
    };
    plotRows.backmapped = t.backmapped ?? [];
    plotRows.reference = t.reference ?? [];
  }
}

let lastSummary: LoadMessage['summary'];
function renderSummary(m: { summary?: LoadMessage['summary'] }): void {
  if (m.summary) lastSummary = m.summary;
  const s = lastSummary;
  const parts: string[] = [];
  if (s) parts.push(`RMSD bb ${fmt(s.rmsd_bb, 2)} · sc ${fmt(s.rmsd_sc, 2)} · all ${fmt(s.rmsd_all, 2)} Å (${s.matched} atoms matched)`);
  if (superposition?.rmsd !== undefined) parts.push(`Cα fit ${superposition.rmsd.toFixed(2)} Å`);
  summaryEl.textContent = parts.join(' · ');
}

async function loadLayers(layers: Partial<Record<LayerId, LayerData>>, frame: number): Promise<number> {
  const inputs: Partial<Record<LayerId, LayerInput>> = {};
  await Promise.all(
    LAYER_IDS.map(async (id) => {
      const d = layers[id];
      if (!d) return;
      inputs[id] = { text: await layerText(d), format: d.format, label: d.label ?? LAYER_LABEL[id], atoms: d.atoms };
      layerModels[id] = d.models ?? 1;
    }),
  );
  const opts = {} as Record<LayerId, { frame: number; visible: boolean; matrix: Mat4 | null }>;
  for (const id of LAYER_IDS)
    opts[id] = { frame: frames.streamed ? 0 : Math.min(frame, (layerModels[id] ?? 1) - 1), visible: state.visible[id], matrix: matrixFor(id) };
  await viewer!.setLayers(inputs, opts);
  return LAYER_IDS.reduce((n, id) => n + viewer!.atomCount(id), 0);
}

async function onLoad(m: LoadMessage, t0: number): Promise<void> {
  const v = viewer!;
  const absent = Object.fromEntries(LAYER_IDS.filter((id) => !m.layers[id]).map((id) => [id, null]));
  await v.setLayers(absent, {} as never);
  layerModels = {};
  superposition = m.superposition;
  frames = { count: m.frames?.count ?? 1, streamed: m.frames?.streamed ?? false, labels: m.frames?.labels ?? [] };
  // Same source as before (a reload): keep the user's frame; otherwise start where the extension says.
  const sameSource = JSON.stringify(m.source ?? null) === JSON.stringify(state.source ?? null) && !!m.source;
  state.frame = Math.min(sameSource ? state.frame : (m.frames?.current ?? 0), frames.count - 1);
  if (!sameSource) {
    state.selected = [];
    state.superposed = false;
  }
  state.title = m.title;
  state.source = m.source;
  titleEl.textContent = m.title;
  document.title = m.title;
  setTables(m.perResidue, m.torsions);
  lastSummary = undefined;
  for (const id of LAYER_IDS) {
    toggleInputs[id].disabled = !m.layers[id];
    toggleInputs[id].parentElement!.classList.toggle('absent', !m.layers[id]);
  }
  const atoms = await loadLayers(m.layers, state.frame);
  v.resetCamera();
  renderFrameControls();
  renderSuperposeButton();
  renderSummary(m);
  renderLegend();
  plots.render({ ...plotRows, maxRmsd: themeData.maxRmsd });
  if (state.selected.length) await selectResidues(state.selected, false, false);
  banner.hidden = true;
  persist();
  // A restored frame other than the one the payload describes: fetch its layers (streamed) or analysis.
  if (state.frame !== (m.frames?.current ?? 0)) {
    requestedFrame = state.frame;
    post({ type: 'requestFrame', index: state.frame });
  }
  await reportRendered(t0, atoms);
}

async function reportRendered(t0: number, atoms: number): Promise<void> {
  await viewer!.drawn();
  const ms = Math.round(performance.now() - t0);
  document.body.dataset.status = 'rendered';
  document.body.dataset.renderMs = String(ms);
  document.body.dataset.atoms = String(atoms);
  post({ type: 'rendered', ms, atoms, layers: viewer!.layers, frame: state.frame });
}

async function onFrame(m: FrameMessage, t0: number): Promise<void> {
  // An answer to an older request while the slider has moved on: the newer answer is coming.
  if (requestedFrame !== undefined && m.index !== requestedFrame) return;
  requestedFrame = undefined;
  state.frame = Math.min(m.index, frames.count - 1);
  if (m.superposition) superposition = m.superposition;
  const atoms = await loadLayers(m.layers, state.frame);
  if (m.perResidue || m.torsions) {
    setTables(m.perResidue, m.torsions);
    await viewer!.refreshDeviationColours();
    plots.render({ ...plotRows, maxRmsd: themeData.maxRmsd });
    plots.mark(new Set(state.selected.map(residueKeyString)));
  }
  if (m.summary) renderSummary(m);
  if (m.superposition && state.superposed) await applySuperposition();
  renderFrameControls();
  persist();
  await reportRendered(t0, atoms);
}

function renderFrameControls(): void {
  footer.hidden = frames.count <= 1;
  slider.max = String(frames.count - 1);
  slider.value = String(state.frame);
  const label = frames.labels[state.frame];
  frameLabel.textContent = `${state.frame + 1} / ${frames.count}${label ? ` · ${label}` : ''}`;
}

async function setFrame(index: number): Promise<void> {
  const i = Math.max(0, Math.min(index, frames.count - 1));
  if (i === state.frame && String(i) === slider.value && !frames.streamed) return;
  state.frame = i;
  renderFrameControls();
  persist();
  if (!frames.streamed) await viewer!.setFrame(i);
  // Streamed: the extension sends the frame's layers. Multi-model: the models are here already, but the
  // frame's deviation, torsions and fit come from the extension. Debounced: a dragged slider asks once.
  clearTimeout(frameRequestTimer);
  requestedFrame = i;
  frameRequestTimer = setTimeout(() => post({ type: 'requestFrame', index: i }), frames.streamed ? 60 : 150);
}
let frameRequestTimer: ReturnType<typeof setTimeout> | undefined;
let requestedFrame: number | undefined;

function setVisible(id: LayerId, visible: boolean): void {
  state.visible[id] = visible;
  toggleInputs[id].checked = visible;
  viewer?.setVisible(id, visible);
  renderLegend();
  persist();
}

function renderSuperposeButton(): void {
  superposeBtn.classList.toggle('active', state.superposed);
  superposeBtn.textContent = state.superposed ? 'Superposed ✓' : 'Superpose';
  superposeBtn.disabled = !viewer?.layers.includes('reference') || !(viewer?.layers.includes('backmapped') || viewer?.layers.includes('cg'));
}

async function toggleSuperpose(): Promise<void> {
  if (!state.superposed && !superposition) {
    // No precomputed fit (e.g. a streamed frame): ask the extension; its `superpose` answer applies it.
    post({ type: 'requestSuperpose', frame: state.frame });
    superposeBtn.textContent = 'Superposing…';
    return;
  }
  state.superposed = !state.superposed;
  await applySuperposition();
}

async function applySuperposition(): Promise<void> {
  for (const id of viewer!.layers) await viewer!.setTransform(id, matrixFor(id));
  renderSuperposeButton();
  renderSummary({});
  persist();
}

async function selectResidues(residues: ResidueKey[], focus: boolean, reveal: boolean): Promise<void> {
  // Plot rows carry more than the key; keep the state and the messages to the key itself.
  const rs = residues.map((r) => ({ chainId: r.chainId, resSeq: r.resSeq, iCode: r.iCode }));
  state.selected = rs;
  viewer?.select(rs, focus);
  plots.mark(new Set(rs.map(residueKeyString)));
  persist();
  if (reveal && rs.length) post({ type: 'revealResidue', residue: rs[0], layer: 'backmapped' });
}

async function handle(m: ExtensionToWebview, t0: number): Promise<void> {
  switch (m.type) {
    case 'load':
      return onLoad(m, t0);
    case 'frame':
      return onFrame(m, t0);
    case 'highlightResidues':
      return selectResidues(m.residues, m.focus ?? true, false);
    case 'setFrame':
      return setFrame(m.index);
    case 'setLayerVisible':
      return setVisible(m.layer, m.visible);
    case 'superpose':
      if (!m.transform) {
        renderSuperposeButton();
        throw new Error(m.message ?? 'Superposition is not possible for these structures.');
      }
      superposition = m.transform;
      state.superposed = true;
      return applySuperposition();
  }
}

window.addEventListener('message', (e: MessageEvent) => {
  const t0 = performance.now();
  const m: unknown = e.data;
  // Mol*'s task scheduler posts its own window messages (a setImmediate shim): not ours, not an error.
  if (typeof m !== 'object' || m === null || typeof (m as { type?: unknown }).type !== 'string') return;
  if (!isExtensionToWebview(m)) {
    post({ type: 'error', message: `Ignored a malformed '${(m as { type: string }).type}' message from the extension.` });
    return;
  }
  void run(() => handle(m, t0));
});

window.addEventListener('resize', () => viewer?.plugin.handleResize());

void run(async () => {
  viewer = await CompareViewer.create(viewport);
  applyThemeColours();
  // VS Code swaps body classes (vscode-light/dark/high-contrast) and CSS variables on a theme change.
  new MutationObserver(applyThemeColours).observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
  viewer.onHover((p) => {
    if (!p) return showTooltip(null, 0, 0);
    const r = viewport.getBoundingClientRect();
    showTooltip(p, p.page ? p.page[0] : r.left + r.width / 2, p.page ? p.page[1] : r.top + 20);
  });
  viewport.addEventListener('mouseleave', () => showTooltip(null, 0, 0));
  viewer.onClick((p) => {
    if (p) void run(() => selectResidues([p.residue], false, true));
  });
  renderLegend();
  // For the headless tests and for debugging from the webview devtools.
  (window as unknown as { backmapCompare: unknown }).backmapCompare = { viewer, state };
  document.body.dataset.status = 'ready';
  post({ type: 'ready' });
});
