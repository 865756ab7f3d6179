// Backmap Studio comparison webview: CG beads, backmapped and reference structures in one Mol* view,
// with per-residue deviation colouring, Ramachandran/χ/deviation plots and a trajectory frame slider.
// Talks to `src/extension/compare/panel.ts` only through `src/shared/webview-protocol.ts`.
import './style.css';
import { Mat4 } from 'molstar/lib/mol-math/linear-algebra';
import {
  isExtensionToWebview,
  LAYER_IDS,
  residueKeyString,
  VIEW_CLASSES,
  type ClassDeviation,
  type ComparisonSource,
  type CompositionEntry,
  type ExtensionToWebview,
  type FrameMessage,
  type LayerData,
  type LayerId,
  type LayerTransform,
  type LoadMessage,
  type PerResidueRow,
  type ResidueKey,
  type SequenceResidue,
  type TorsionRow,
  type ViewClass,
  type WebviewToExtension,
} from '../src/shared/webview-protocol';
import { THREE_TO_ONE } from '../src/core/chemistry/amino-acids';
import { Plots } from './plots';
import { assignSecondaryStructure, SS_LABEL, type SecondaryStructure } from './secondary';
import { BEAD_COLOURS, deviationGradientCss, deviationRgb, hexCss, REFERENCE_COLOUR } from './scale';
import { themeData } from './themes';
import { CompareViewer, defaultRepresentation, REPRESENTATIONS, type LayerInput, type LayerRepresentation, type PickInfo } from './viewer';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What survives a window reload (with the extension's serializer rebuilding the data from `source`). */
interface ViewState {
  visible: Record<LayerId, boolean>;
  representation: Record<LayerId, LayerRepresentation>;
  /** Molecule classes shown in every layer. */
  classes: Record<ViewClass, boolean>;
  fps: number;
  loop: boolean;
  superposed: boolean;
  frame: number;
  selected: ResidueKey[];
  title?: string;
  source?: ComparisonSource;
}

const vscode = acquireVsCodeApi();
const post = (m: WebviewToExtension) => vscode.postMessage(m);

// `water` is the state of views saved before the per-class toggles (one Water checkbox).
const saved = vscode.getState() as (Partial<ViewState> & { water?: boolean }) | undefined;
const state: ViewState = {
  visible: { cg: true, backmapped: true, reference: true, ...(saved?.visible ?? {}) },
  representation: { cg: defaultRepresentation('cg'), backmapped: defaultRepresentation('backmapped'), reference: defaultRepresentation('reference'), ...(saved?.representation ?? {}) },
  classes: { protein: true, lipid: true, sterol: true, ligand: true, water: saved?.water ?? false, ion: true, ...(saved?.classes ?? {}) },
  fps: saved?.fps ?? 5,
  loop: saved?.loop ?? true,
  superposed: saved?.superposed ?? false,
  frame: saved?.frame ?? 0,
  selected: Array.isArray(saved?.selected) ? saved!.selected : [],
  title: saved?.title,
  source: saved?.source,
};
const persist = () => vscode.setState(state);

const LAYER_LABEL: Record<LayerId, string> = { cg: 'CG beads', backmapped: 'Backmapped', reference: 'Reference' };
const CLASS_LABEL: Record<ViewClass, string> = { protein: 'Protein', lipid: 'Lipids', sterol: 'Sterols', ligand: 'Ligands', water: 'Water', ion: 'Ions' };

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
const reprSelects = {} as Record<LayerId, HTMLSelectElement>;
for (const id of LAYER_IDS) {
  const input = h('input', { type: 'checkbox', 'data-layer': id, id: `layer-${id}` });
  input.checked = state.visible[id];
  input.addEventListener('change', () => setVisible(id, input.checked));
  const swatch = h('span', { class: `swatch swatch-${id}` });
  const label = h('label', { for: `layer-${id}`, class: 'layer', 'data-layer': id }, input, swatch, LAYER_LABEL[id]);
  toggleInputs[id] = input;
  // Per-layer representation (Mol*'s own: cartoon, ball-and-stick, spacefill).
  const select = h('select', { class: 'repr', id: `repr-${id}`, 'data-layer': id, title: `How the ${LAYER_LABEL[id].toLowerCase()} are drawn` });
  for (const r of REPRESENTATIONS[id === 'cg' ? 'cg' : 'atoms']) select.append(new Option(r.label, r.id));
  select.value = state.representation[id];
  select.addEventListener('change', () => void run(() => setRepresentation(id, select.value as LayerRepresentation)));
  reprSelects[id] = select;
  toggles.appendChild(h('span', { class: 'layer-group', 'data-layer': id }, label, select));
}
// Molecule classes (the engine's: protein, lipids, sterols, ligands, water, ions), each shown or hidden in every
// layer; offered when the structures hold more than one class, each toggle only for a class that is there.
const classToggles = h('span', { class: 'class-toggles', hidden: '' });
const classInputs = {} as Record<ViewClass, HTMLInputElement>;
for (const cls of VIEW_CLASSES) {
  const input = h('input', { type: 'checkbox', id: `layer-${cls}`, 'data-class': cls });
  input.checked = state.classes[cls];
  input.addEventListener('change', () => void run(() => setClassVisible(cls, input.checked)));
  classInputs[cls] = input;
  classToggles.appendChild(h('label', { for: `layer-${cls}`, class: 'layer class-toggle', 'data-class': cls, hidden: '' }, input, CLASS_LABEL[cls]));
}
toggles.appendChild(classToggles);
const superposeBtn = h('button', { id: 'superpose', title: 'Fit the reference onto the backmapped structure (Kabsch on matched Cα)' }, 'Superpose');
superposeBtn.addEventListener('click', () => void run(() => toggleSuperpose()));
const resetBtn = h('button', { id: 'reset-camera', class: 'secondary', title: 'Reset the camera' }, 'Reset view');
resetBtn.addEventListener('click', () => viewer?.resetCamera());
const summaryEl = h('span', { class: 'summary' });
const header = h('header', {}, titleEl, toggles, superposeBtn, resetBtn, summaryEl);
// Sequence strip: one letter per residue, coloured by deviation, underlined by secondary structure; a click
// selects the residue (shift-click a range) in 3D and in the plots.
const sequenceEl = h('div', { id: 'sequence', hidden: '' });
// The residues the strip leaves out (it holds protein only), per name: "POPC 128 · CHL1 30 · TIP3 2,000 · SOD 20".
const compositionEl = h('div', { id: 'composition', hidden: '' });

const viewport = h('div', { id: 'viewport' }) as HTMLDivElement;
const legend = h('div', { class: 'legend' });
const tooltip = h('div', { class: 'tooltip', hidden: '' });
const banner = h('div', { class: 'banner', hidden: '' });
const notice = h('div', { class: 'notice', hidden: '' });
// The HTML carries a spinner (#boot) so the panel is never blank while the script and the data load.
const spinner = document.getElementById('boot') ?? h('div', { id: 'boot', class: 'loading' }, h('div', { class: 'spinner' }), h('span', { class: 'loading-text' }, 'Loading…'));
const stage = h('div', { class: 'stage' }, viewport, legend, banner, notice, spinner);
function showSpinner(text: string | null): void {
  spinner.hidden = text === null;
  const t = spinner.querySelector('.loading-text');
  if (t && text) t.textContent = text;
}
const plotsEl = h('aside', { id: 'plots' });
const main = h('main', {}, stage, plotsEl);

const slider = h('input', { type: 'range', id: 'frame', min: '0', max: '0', value: '0', step: '1', 'aria-label': 'Frame' });
const frameLabel = h('span', { class: 'frame-label' });
const playBtn = h('button', { id: 'play', title: 'Play / pause (space)', 'aria-label': 'Play' }, '▶ Play');
playBtn.addEventListener('click', () => setPlaying(!playing));
const speedSelect = h('select', { id: 'speed', title: 'Playback speed' });
for (const f of [1, 2, 5, 10, 20, 30]) speedSelect.append(new Option(`${f} fps`, String(f)));
speedSelect.value = String(state.fps);
speedSelect.addEventListener('change', () => {
  state.fps = Number(speedSelect.value);
  persist();
});
const loopInput = h('input', { type: 'checkbox', id: 'loop' });
loopInput.checked = state.loop;
loopInput.addEventListener('change', () => {
  state.loop = loopInput.checked;
  persist();
});
const footer = h('footer', { hidden: '' }, playBtn, h('span', {}, 'Frame'), slider, frameLabel, speedSelect, h('label', { for: 'loop', class: 'layer' }, loopInput, 'Loop'));
slider.addEventListener('input', () => {
  setPlaying(false);
  void run(() => setFrame(Number(slider.value)));
});

app.append(header, sequenceEl, compositionEl, main, footer);
document.body.appendChild(tooltip);

// ------------------------------------------------------------------ data of the current comparison
let viewer: CompareViewer | null = null;
let perResidue = new Map<string, PerResidueRow>();
let torsions = { backmapped: new Map<string, TorsionRow>(), reference: new Map<string, TorsionRow>() };
let superposition: LayerTransform | undefined;
let frames = { count: 1, streamed: false, coordinates: false, labels: [] as string[] };
let sequence: SequenceResidue[] = [];
let composition: CompositionEntry[] = [];
let classDeviation: ClassDeviation[] = [];
let secondary = new Map<string, SecondaryStructure>();
let canAddReference = false;
let layerModels: Partial<Record<LayerId, number>> = {};
const plotRows: { perResidue: PerResidueRow[]; backmapped: TorsionRow[]; reference: TorsionRow[] } = { perResidue: [], backmapped: [], reference: [] };

const plots = new Plots(plotsEl, {
  requestReference: () => post({ type: 'requestReference' }),
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
    // Placed water has no per-residue value (a bead stands for four waters, none of them the reference's).
    legend.append(h('div', { class: 'legend-row' }, na, composition.some((c) => c.class === 'water') ? 'no reference atom, water' : 'no reference atom'));
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

// ------------------------------------------------------------------ plots and sequence strip
function renderPlots(): void {
  secondary = assignSecondaryStructure(plotRows.backmapped.length ? plotRows.backmapped : plotRows.reference);
  plots.render(
    { ...plotRows, maxRmsd: themeData.maxRmsd, secondary, classDeviation },
    {
      reference: !!viewer?.layers.includes('reference'),
      atoms: !!(viewer?.layers.includes('backmapped') || viewer?.layers.includes('reference')),
      canAddReference,
    },
  );
}

let lastSequenceClick: number | undefined;
function renderSequence(): void {
  sequenceEl.replaceChildren();
  sequenceEl.hidden = sequence.length === 0;
  if (!sequence.length) return;
  const keys = new Set(state.selected.map(residueKeyString));
  let chain: string | undefined;
  sequence.forEach((r, i) => {
    if (r.chainId !== chain) {
      chain = r.chainId;
      sequenceEl.append(h('span', { class: 'chain' }, chain || '·'));
    }
    const k = residueKeyString(r);
    const ss = secondary.get(k) ?? 'C';
    const dev = perResidue.get(k)?.rmsd;
    const el = h('span', {
      class: `res ss-${ss}${keys.has(k) ? ' sel' : ''}`,
      'data-key': k,
      'data-index': String(i),
      title: `${r.resName} ${r.chainId ? r.chainId + ':' : ''}${r.resSeq}${r.iCode}${dev != null ? ` · RMSD ${dev.toFixed(2)} Å` : ''} · ${SS_LABEL[ss]}`,
    }, THREE_TO_ONE[r.resName] ?? 'X');
    if (dev != null) {
      const [cr, cg, cb] = deviationRgb(dev, themeData.maxRmsd);
      el.style.background = `rgba(${cr},${cg},${cb},0.55)`;
    }
    if (r.resSeq % 10 === 0) el.dataset.tick = String(r.resSeq);
    sequenceEl.append(el);
  });
}

const count = (n: number) => n.toLocaleString('en-US');
function renderComposition(): void {
  compositionEl.hidden = composition.length === 0;
  compositionEl.replaceChildren(
    ...composition.flatMap((c, i) => [
      ...(i ? [' · '] : []),
      h('span', { class: `composition-entry class-${c.class}`, 'data-class': c.class, title: `${c.count} ${c.resName} residues (${CLASS_LABEL[c.class].toLowerCase()})` }, `${c.resName} ${count(c.count)}`),
    ]),
  );
}

sequenceEl.addEventListener('click', (e) => {
  const el = (e.target as HTMLElement).closest<HTMLElement>('.res');
  if (!el) return;
  const i = Number(el.dataset.index);
  let picked = [sequence[i]];
  if (e.shiftKey && lastSequenceClick !== undefined) {
    const [a, b] = [Math.min(i, lastSequenceClick), Math.max(i, lastSequenceClick)];
    picked = sequence.slice(a, b + 1);
  }
  lastSequenceClick = i;
  void run(() => selectResidues(picked, true, false));
});
sequenceEl.addEventListener('mousemove', (e) => {
  const el = (e.target as HTMLElement).closest<HTMLElement>('.res');
  viewer?.hoverResidue(el ? sequence[Number(el.dataset.index)] : null);
});
sequenceEl.addEventListener('mouseleave', () => viewer?.hoverResidue(null));

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
  if (s) parts.push(`RMSD bb ${fmt(s.rmsd_bb, 2)} · sc ${fmt(s.rmsd_sc, 2)} · all ${fmt(s.rmsd_all, 2)} Å (${s.matched} atoms, no superposition)`);
  if (superposition?.rmsd !== undefined && state.superposed) parts.push(`Cα fit ${superposition.rmsd.toFixed(2)} Å`);
  summaryEl.textContent = parts.join(' · ');
  summaryEl.title = s?.definition ?? '';
}

async function loadLayers(layers: Partial<Record<LayerId, LayerData>>, frame: number): Promise<number> {
  const inputs: Partial<Record<LayerId, LayerInput>> = {};
  await Promise.all(
    LAYER_IDS.map(async (id) => {
      const d = layers[id];
      if (!d) return;
      inputs[id] = { text: await layerText(d), format: d.format, label: d.label ?? LAYER_LABEL[id], atoms: d.atoms, classes: d.classes };
      layerModels[id] = d.models ?? 1;
    }),
  );
  const opts = {} as Record<LayerId, { frame: number; visible: boolean; matrix: Mat4 | null }>;
  for (const id of LAYER_IDS)
    opts[id] = { frame: frames.streamed || frames.coordinates ? 0 : Math.min(frame, (layerModels[id] ?? 1) - 1), visible: state.visible[id], matrix: matrixFor(id) };
  await viewer!.setLayers(inputs, opts);
  renderClassToggles(layers);
  return LAYER_IDS.reduce((n, id) => n + viewer!.atomCount(id), 0);
}

/** A toggle for each class the loaded layers hold (none when there is only one class), naming its residues. */
function renderClassToggles(layers: Partial<Record<LayerId, LayerData>>): void {
  const present = VIEW_CLASSES.filter((cls) => viewer!.layers.some((id) => viewer!.classCount(id, cls) > 0));
  classToggles.hidden = present.length < 2;
  for (const cls of VIEW_CLASSES) {
    const label = classInputs[cls].parentElement!;
    label.hidden = !present.includes(cls);
    const names = [...new Set(LAYER_IDS.flatMap((id) => layers[id]?.classes?.[cls] ?? []))];
    label.title = `${CLASS_LABEL[cls]} in every layer${names.length ? ` (${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''})` : ''}${cls === 'water' ? '; hidden by default: it buries the solute' : ''}`;
  }
}

async function onLoad(m: LoadMessage, t0: number): Promise<void> {
  const v = viewer!;
  const absent = Object.fromEntries(LAYER_IDS.filter((id) => !m.layers[id]).map((id) => [id, null]));
  await v.setLayers(absent, {} as never);
  layerModels = {};
  setPlaying(false);
  superposition = m.superposition;
  frames = { count: m.frames?.count ?? 1, streamed: m.frames?.streamed ?? false, coordinates: m.frames?.coordinates ?? false, labels: [...(m.frames?.labels ?? [])] };
  sequence = m.sequence ?? [];
  composition = m.composition ?? [];
  classDeviation = m.classDeviation ?? [];
  canAddReference = m.canAddReference ?? false;
  notice.hidden = true;
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
  renderPlots();
  renderSequence();
  renderComposition();
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
  showSpinner(null);
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
  if (m.label) frames.labels[state.frame] = m.label;
  if (m.superposition) superposition = m.superposition;
  let atoms: number;
  if (m.coordinates) {
    await viewer!.setCoordinates(m.coordinates);
    atoms = LAYER_IDS.reduce((n, id) => n + viewer!.atomCount(id), 0);
  } else atoms = await loadLayers(m.layers, state.frame);
  if (m.classDeviation) classDeviation = m.classDeviation;
  if (m.perResidue || m.torsions) {
    setTables(m.perResidue, m.torsions);
    await viewer!.refreshDeviationColours();
    renderPlots();
    renderSequence();
    plots.mark(new Set(state.selected.map(residueKeyString)));
  }
  if (m.summary) renderSummary(m);
  if (m.superposition && state.superposed) await applySuperposition();
  renderFrameControls();
  persist();
  await reportRendered(t0, atoms);
  frameShown(m.index);
}

function renderFrameControls(): void {
  footer.hidden = frames.count <= 1;
  slider.max = String(frames.count - 1);
  slider.value = String(state.frame);
  const label = frames.labels[state.frame];
  frameLabel.textContent = `${state.frame + 1} / ${frames.count}${label ? ` · ${label}` : ''}`;
  document.body.dataset.frame = String(state.frame);
}

// ------------------------------------------------------------------ playback
let playing = false;
let playTimer: ReturnType<typeof setTimeout> | undefined;
/** Resolvers waiting for a frame to be on screen (streamed and coordinate frames come from the extension). */
const frameWaiters = new Map<number, () => void>();
function frameShown(index: number): void {
  frameWaiters.get(index)?.();
  frameWaiters.delete(index);
}

function setPlaying(on: boolean): void {
  if (on && frames.count <= 1) on = false;
  playing = on;
  // Words with the triangle: a pause glyph (U+23F8) is missing from many webview fonts.
  playBtn.textContent = on ? 'Pause' : '▶ Play';
  playBtn.setAttribute('aria-label', on ? 'Pause' : 'Play');
  playBtn.classList.toggle('active', on);
  document.body.dataset.playing = String(on);
  clearTimeout(playTimer);
  if (on) playTimer = setTimeout(() => void playStep(), 0);
}

/** Shows the next frame, waits until it is drawn, then schedules the one after at the chosen speed. */
async function playStep(): Promise<void> {
  if (!playing) return;
  const t0 = performance.now();
  let next = state.frame + 1;
  if (next >= frames.count) {
    if (!state.loop) return setPlaying(false);
    next = 0;
  }
  const remote = frames.streamed || frames.coordinates;
  const shown = remote
    ? new Promise<void>((resolve) => {
        frameWaiters.set(next, resolve);
        setTimeout(resolve, 15000); // a lost answer must not stop playback for good
      })
    : Promise.resolve();
  await run(() => setFrame(next, true));
  await shown;
  if (!remote) await viewer?.drawn();
  if (!playing) return;
  const wait = Math.max(0, 1000 / state.fps - (performance.now() - t0));
  playTimer = setTimeout(() => void playStep(), wait);
}

document.addEventListener('keydown', (e) => {
  if (e.key === ' ' && frames.count > 1 && !(e.target instanceof HTMLInputElement && e.target.type !== 'range') && !(e.target instanceof HTMLSelectElement)) {
    e.preventDefault();
    setPlaying(!playing);
  }
});

async function setFrame(index: number, now = false): Promise<void> {
  const i = Math.max(0, Math.min(index, frames.count - 1));
  const remote = frames.streamed || frames.coordinates;
  if (i === state.frame && String(i) === slider.value && !remote) return;
  state.frame = i;
  renderFrameControls();
  persist();
  if (!remote) await viewer!.setFrame(i);
  // Streamed/coordinates: the extension sends the frame. Multi-model: the models are here already, but the
  // frame's deviation, torsions and fit come from the extension. Debounced: a dragged slider asks once.
  clearTimeout(frameRequestTimer);
  requestedFrame = i;
  if (now) post({ type: 'requestFrame', index: i });
  else frameRequestTimer = setTimeout(() => post({ type: 'requestFrame', index: i }), remote ? 60 : 150);
}
let frameRequestTimer: ReturnType<typeof setTimeout> | undefined;
let requestedFrame: number | undefined;

async function setRepresentation(id: LayerId, r: LayerRepresentation): Promise<void> {
  state.representation[id] = r;
  reprSelects[id].value = r;
  persist();
  await viewer?.setRepresentation(id, r);
  await viewer?.drawn();
}

async function setClassVisible(cls: ViewClass, visible: boolean): Promise<void> {
  state.classes[cls] = visible;
  classInputs[cls].checked = visible;
  persist();
  await viewer?.setClassVisible(cls, visible);
  await viewer?.drawn();
}

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
  const keys = new Set(rs.map(residueKeyString));
  plots.mark(keys);
  for (const el of Array.from(sequenceEl.querySelectorAll<HTMLElement>('.res'))) el.classList.toggle('sel', keys.has(el.dataset.key!));
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
    case 'loading':
      showSpinner(m.message);
      return;
    case 'notice':
      showSpinner(null);
      notice.textContent = m.message;
      notice.hidden = false;
      return;
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

// The panel is often opened small (a split) and enlarged later: Mol* resizes its canvas, and after a clear
// change in size the camera is fitted again so the structure fills the new view.
let fittedSize = { w: 0, h: 0 };
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
let refits = 0;
new ResizeObserver(() => {
  viewer?.plugin.handleResize();
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    const w = viewport.clientWidth, h = viewport.clientHeight;
    if (!viewer || !w || !h) return;
    const changed = !fittedSize.w || Math.abs(w - fittedSize.w) / fittedSize.w > 0.2 || Math.abs(h - fittedSize.h) / fittedSize.h > 0.2;
    if (changed && viewer.layers.length) {
      viewer.fit();
      document.body.dataset.refits = String(++refits);
    }
    fittedSize = { w, h };
  }, 150);
}).observe(viewport);

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
  for (const id of LAYER_IDS) viewer.representation[id] = state.representation[id];
  Object.assign(viewer.classVisible, state.classes);
  fittedSize = { w: viewport.clientWidth, h: viewport.clientHeight };
  renderLegend();
  // For the headless tests and for debugging from the webview devtools.
  (window as unknown as { backmapCompare: unknown }).backmapCompare = { viewer, state };
  document.body.dataset.status = 'ready';
  post({ type: 'ready' });
});
