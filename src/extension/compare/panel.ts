// The Mol* comparison panel: one webview (webview/main.ts) showing CG beads, backmapped and reference
// structures. Owns the HTML (strict CSP with a nonce), the message loop (typed by webview-protocol.ts),
// reveal-in-editor, editor-selection highlighting, trajectory frames and the reload serializer.
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Structure } from '../../core/structure/types';
import {
  isWebviewToExtension,
  LAYER_IDS,
  type ComparisonSource,
  type ExtensionToWebview,
  type LayerData,
  type LayerId,
  type ResidueKey,
  type WebviewToExtension,
} from '../../shared/webview-protocol';
import { compareHtml, makeNonce } from './html';
import type { TrajectoryFrames } from './frames';
import { analyseFrame, buildComparisonPayload, lineOfResidue, residuesOnLines, superposeReference, toLoadMessage, type LayerText } from './payload';
import { reloadComparison } from './reload';
import { readStructureFile } from '../../core/structure/read';

export interface ComparisonInput {
  cg?: Structure;
  backmapped?: Structure;
  reference?: Structure;
  title?: string;
  /** File of each layer (reveal in editor, selection highlight, rebuilding after a reload). */
  source?: ComparisonSource;
  /** CG bonds (bead index pairs) from the mapping/topology; default derived from bead names. */
  cgBonds?: [number, number][];
  /** A trajectory whose frames are produced on demand (each `frame(i)` gives that frame's layers). */
  frames?: FrameSource;
  /**
   * Trajectory files read frame by frame in the extension host: `cg`/`backmapped` are then the topologies, and
   * the webview gets only coordinates per frame. The panel closes it when it shows something else.
   */
  trajectory?: TrajectoryFrames;
}

export interface FrameSource {
  count: number;
  labels?: string[];
  frame(index: number): Promise<{ cg?: Structure; backmapped?: Structure }> | { cg?: Structure; backmapped?: Structure };
}

/** Layers bigger than this go through a file and `asWebviewUri` + fetch instead of the message channel. */
export const INLINE_LIMIT = 1 << 20;

const showLoadError = (e: unknown) =>
  void vscode.window.showErrorMessage(`Backmap Studio: cannot show the comparison: ${e instanceof Error ? e.message : String(e)}`);

type RenderedInfo = Extract<WebviewToExtension, { type: 'rendered' }>;

export class ComparePanel implements vscode.Disposable {
  static readonly viewType = 'backmapStudio.compare';
  /** The panel that `show` reuses (the most recently shown). */
  static current: ComparePanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private pending: ExtensionToWebview[] = [];
  private input: ComparisonInput = {};
  private readonly dataDir: vscode.Uri;
  private readonly written = new Set<string>();
  private readonly renderedEmitter = new vscode.EventEmitter<RenderedInfo>();
  /** Fires when the webview has drawn a load or frame (with its own timing). */
  readonly onDidRender = this.renderedEmitter.event;
  lastRendered: RenderedInfo | undefined;
  private frameIndex = 0;
  private frameCache = new Map<number, { cg?: Structure; backmapped?: Structure }>();
  private selectionTimer: NodeJS.Timeout | undefined;
  private readonly id = Math.random().toString(36).slice(2, 10);
  private disposed = false;
  /** Panels the commands may reuse; a trajectory file's own editor (custom editor) is not one of them. */
  private readonly reusable: boolean;

  /**
   * Where a new panel opens: beside the active text editor (the structure's text stays visible), else in the
   * active group, so it gets a whole column rather than a narrow new split.
   */
  static defaultColumn(): vscode.ViewColumn {
    return vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
  }

  /** Opens (or reuses) the comparison panel and shows `input`. */
  static show(context: vscode.ExtensionContext, input: ComparisonInput, column = ComparePanel.defaultColumn()): ComparePanel {
    const cur = ComparePanel.current;
    if (cur) {
      // Shown where it is: moving it would re-create the webview's context.
      cur.panel.reveal(cur.panel.viewColumn, true);
      cur.load(input).catch(showLoadError);
      return cur;
    }
    const panel = vscode.window.createWebviewPanel(ComparePanel.viewType, input.title ?? 'Backmap comparison', { viewColumn: column, preserveFocus: true }, ComparePanel.options(context));
    const p = new ComparePanel(context, panel);
    p.load(input).catch(showLoadError);
    return p;
  }

  /** A comparison in a webview panel VS Code made (the trajectory custom editor); not reused by the commands. */
  static attach(context: vscode.ExtensionContext, panel: vscode.WebviewPanel): ComparePanel {
    panel.webview.options = ComparePanel.options(context);
    return new ComparePanel(context, panel, false);
  }

  /**
   * Registers the reload serializer and the editor-selection highlighting; call once from `activate`
   * (package.json needs `onWebviewPanel:backmapStudio.compare` in activationEvents).
   */
  static register(context: vscode.ExtensionContext): vscode.Disposable {
    const focused = (): ComparePanel | undefined => ComparePanel.all.find((p) => p.panel.active) ?? ComparePanel.current;
    const serializer = vscode.window.registerWebviewPanelSerializer(ComparePanel.viewType, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        panel.webview.options = ComparePanel.options(context);
        const p = new ComparePanel(context, panel);
        const source = (state as { source?: ComparisonSource } | undefined)?.source;
        if (!source) {
          panel.dispose();
          return;
        }
        try {
          const r = reloadComparison(source);
          await p.load({ ...r, title: (state as { title?: string }).title });
        } catch (e) {
          void vscode.window.showWarningMessage(`Backmap Studio: could not restore the comparison: ${e instanceof Error ? e.message : String(e)}`);
          panel.dispose();
        }
      },
    });
    const selection = vscode.window.onDidChangeTextEditorSelection((e) => (focused() ?? ComparePanel.current)?.onEditorSelection(e));
    context.subscriptions.push(serializer, selection);
    return vscode.Disposable.from(serializer, selection);
  }

  static options(context: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      // Mol*'s scene is costly to rebuild; keep it while the tab is in the background.
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist'), ComparePanel.dataRoot(context)],
    };
  }

  private static dataRoot(context: vscode.ExtensionContext): vscode.Uri {
    return vscode.Uri.joinPath(context.globalStorageUri, 'compare');
  }

  /** Every open comparison (the reusable one and trajectory editors), for tests and selection sync. */
  static readonly all: ComparePanel[] = [];
  private static readonly created = new vscode.EventEmitter<ComparePanel>();
  /** Fires for every new panel (the commands' and the trajectory editors'). */
  static readonly onDidCreate = ComparePanel.created.event;

  private constructor(
    private readonly context: vscode.ExtensionContext,
    readonly panel: vscode.WebviewPanel,
    reusable = true,
  ) {
    this.reusable = reusable;
    if (reusable) ComparePanel.current = this;
    ComparePanel.all.push(this);
    // After the constructor has run (listeners may subscribe to onDidRender).
    queueMicrotask(() => ComparePanel.created.fire(this));
    this.dataDir = ComparePanel.dataRoot(context);
    const w = panel.webview;
    const dist = vscode.Uri.joinPath(context.extensionUri, 'dist');
    w.html = compareHtml({
      cspSource: w.cspSource,
      nonce: makeNonce(),
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
    });
    this.disposables.push(
      w.onDidReceiveMessage((m: unknown) => void this.onMessage(m)),
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active && this.reusable) ComparePanel.current = this;
      }),
      this.renderedEmitter,
    );
  }

  /** Shows new structures in this panel (replacing what it showed). */
  async load(input: ComparisonInput): Promise<void> {
    if (this.input.trajectory && this.input.trajectory !== input.trajectory) this.input.trajectory.close();
    this.input = input;
    this.frameCache.clear();
    this.frameIndex = 0;
    this.panel.title = input.title ?? 'Backmap comparison';
    // Reading and formatting can take a while for big systems: the view shows a spinner meanwhile.
    this.post({ type: 'loading', message: `Loading ${input.title ?? 'the comparison'}…` });
    let { cg, backmapped } = input;
    let label: string | undefined;
    if (input.trajectory) {
      // The topologies drawn with the coordinates of the first frame, so the view opens on frame 1.
      const f0 = input.trajectory.frame(0);
      const s0 = input.trajectory.structures(f0);
      cg = s0.cg ?? cg;
      backmapped = s0.backmapped ?? backmapped;
      this.input = { ...input, cg, backmapped };
      label = f0.label;
    }
    const payload = buildComparisonPayload(cg, backmapped, input.reference, {
      title: input.title,
      source: input.source,
      cgBonds: input.cgBonds,
      frameLabels: input.frames?.labels,
    });
    const layers = await this.layerData(payload.layers);
    const msg = toLoadMessage(payload, layers);
    if (input.frames && input.frames.count > 1) msg.frames = { count: input.frames.count, current: 0, labels: input.frames.labels, streamed: true };
    if (input.trajectory) msg.frames = { count: input.trajectory.count, current: 0, coordinates: true, labels: label ? [label] : undefined };
    msg.canAddReference = !input.reference && !!(backmapped ?? cg);
    this.post(msg);
  }

  /** Adds (or replaces) the reference layer, keeping the CG and backmapped layers and the trajectory. */
  async addReference(file: string): Promise<void> {
    const reference = readStructureFile(file);
    const name = path.basename(file);
    const title = this.input.title && !this.input.reference ? `${this.input.title} vs ${name}` : this.input.title;
    await this.load({ ...this.input, reference, title, source: { ...this.input.source, reference: file } });
  }

  /** What the view shows (for the test hook and the "Compare with reference…" command). */
  get shown(): Readonly<ComparisonInput> {
    return this.input;
  }

  /** A message in place of a comparison (nothing loaded). */
  showMessage(message: string): void {
    this.post({ type: 'notice', message });
  }

  /** Highlights residues in the 3D view (e.g. from a list of outliers). */
  highlight(residues: ResidueKey[], focus = true): void {
    this.post({ type: 'highlightResidues', residues, focus });
  }

  setFrame(index: number): void {
    this.post({ type: 'setFrame', index });
  }

  setLayerVisible(layer: LayerId, visible: boolean): void {
    this.post({ type: 'setLayerVisible', layer, visible });
  }

  private post(m: ExtensionToWebview): void {
    if (!this.ready) {
      // The webview drops messages sent before its script runs; `ready` flushes these.
      if (m.type === 'load') this.pending = this.pending.filter((p) => p.type !== 'load' && p.type !== 'frame');
      this.pending.push(m);
      return;
    }
    void this.panel.webview.postMessage(m);
  }

  /** Inline text for small layers; a file in the extension's storage, fetched by URI, for large ones. */
  private async layerData(layers: Partial<Record<LayerId, LayerText>>, tag = ''): Promise<Partial<Record<LayerId, LayerData>>> {
    const out: Partial<Record<LayerId, LayerData>> = {};
    for (const id of LAYER_IDS) {
      const l = layers[id];
      if (!l) continue;
      const base = { format: l.format, label: l.label, models: l.models, atoms: l.atoms, classes: l.classes };
      if (l.text.length <= INLINE_LIMIT) {
        out[id] = { ...base, data: l.text };
        continue;
      }
      await fs.promises.mkdir(this.dataDir.fsPath, { recursive: true });
      const file = vscode.Uri.joinPath(this.dataDir, `${this.id}-${id}${tag}.${l.format}`);
      await fs.promises.writeFile(file.fsPath, l.text);
      this.written.add(file.fsPath);
      out[id] = { ...base, uri: this.panel.webview.asWebviewUri(file).toString() };
    }
    return out;
  }

  /** Handles a message as if the webview had sent it (tests drive the panel through this). */
  receive(m: unknown): Promise<void> {
    return this.onMessage(m);
  }

  private async onMessage(m: unknown): Promise<void> {
    if (!isWebviewToExtension(m)) return;
    try {
      switch (m.type) {
        case 'ready':
          this.ready = true;
          for (const p of this.pending.splice(0)) void this.panel.webview.postMessage(p);
          return;
        case 'revealResidue':
          return await this.reveal(m.residue, m.layer);
        case 'requestSuperpose':
          return this.superpose(m.frame);
        case 'requestFrame':
          return await this.sendFrame(m.index);
        case 'requestReference': {
          const pick = await vscode.window.showOpenDialog({ title: 'All-atom reference structure', canSelectMany: false, filters: { 'Structures (PDB, GRO, mmCIF)': ['pdb', 'ent', 'gro', 'cif', 'mmcif', 'gz'] }, openLabel: 'Compare' });
          if (pick?.[0]) await this.addReference(pick[0].fsPath);
          return;
        }
        case 'error':
          void vscode.window.showErrorMessage(`Backmap Studio comparison: ${m.message}`);
          return;
        case 'rendered':
          this.lastRendered = m;
          this.renderedEmitter.fire(m);
          return;
      }
    } catch (e) {
      void vscode.window.showErrorMessage(`Backmap Studio comparison: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async frameStructures(index: number): Promise<{ cg?: Structure; backmapped?: Structure }> {
    const src = this.input.frames;
    if (!src) return { cg: this.input.cg, backmapped: this.input.backmapped };
    let f = this.frameCache.get(index);
    if (!f) {
      f = await src.frame(index);
      if (this.frameCache.size > 8) this.frameCache.delete(this.frameCache.keys().next().value!);
      this.frameCache.set(index, f);
    }
    return f;
  }

  /**
   * The webview asks for frame `index`: with a frame source, send that frame's layers; for multi-model
   * structures it already has them, so send only that frame's deviation, torsions and fit.
   */
  private async sendFrame(index: number): Promise<void> {
    this.frameIndex = index;
    if (this.input.trajectory) return this.sendCoordinates(index, this.input.trajectory);
    const { cg, backmapped } = await this.frameStructures(index);
    if (this.frameIndex !== index) return; // a newer request overtook this one
    const streamed = !!this.input.frames;
    const a = analyseFrame(cg, backmapped, this.input.reference, streamed ? 0 : index);
    let layers: Partial<Record<LayerId, LayerData>> = {};
    if (streamed) {
      const p = buildComparisonPayload(cg, backmapped, undefined, { cgBonds: this.input.cgBonds });
      layers = await this.layerData(p.layers, `-f${index}`);
    }
    this.post({ type: 'frame', index, layers, ...a });
  }

  /** Coordinate mode: the frame's coordinates (read now, one frame at a time) and its analysis. */
  private sendCoordinates(index: number, t: TrajectoryFrames): void {
    const f = t.frame(Math.min(index, t.count - 1));
    const s = t.structures(f);
    const a = analyseFrame(s.cg, s.backmapped, this.input.reference, 0);
    this.post({ type: 'frame', index, layers: {}, coordinates: f.coords, label: f.label || undefined, ...a });
  }

  private superpose(frame: number): void {
    const s = this.input.backmapped ?? this.input.cg;
    const ref = this.input.reference;
    if (!s || !ref) {
      this.post({ type: 'superpose', transform: null, message: 'Superposition needs a reference and a backmapped or CG structure.' });
      return;
    }
    const target = s.models.length > 1 ? { ...s, coords: s.models[Math.min(frame, s.models.length - 1)] } : s;
    const t = superposeReference(target, ref, !this.input.backmapped);
    this.post(t ? { type: 'superpose', transform: t } : { type: 'superpose', transform: null, message: 'No matching Cα atoms (by chain and residue number, or by order) to superpose on.' });
  }

  private layerFile(layer: LayerId): string | undefined {
    const src = this.input.source ?? {};
    return src[layer] ?? src.backmapped ?? src.cg ?? src.reference;
  }

  /** Opens the layer's source file at the residue's first atom. */
  private async reveal(r: ResidueKey, layer: LayerId): Promise<void> {
    const file = this.layerFile(layer);
    if (!file || !fs.existsSync(file)) return;
    let s = this.input[layer];
    // In-memory structures (e.g. fresh backmap output) carry no source lines: read the file for them.
    if (!s || !s.atoms.sourceLine.some((l) => l > 0) || path.resolve(s.source) !== path.resolve(file)) {
      s = readStructureFile(file);
    }
    const line = lineOfResidue(s, r);
    if (line === undefined) return;
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const pos = new vscode.Position(line - 1, 0);
    // Beside the panel, never in its group: the comparison tab stays open and focused, and the editor is a
    // pinned tab (not a preview that the next reveal would replace).
    const existing = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === doc.uri.fsPath && e.viewColumn !== this.panel.viewColumn);
    const column = existing?.viewColumn ?? this.besideColumn();
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: column, preserveFocus: true, preview: false, selection: new vscode.Range(pos, pos.translate(0, doc.lineAt(pos.line).text.length)) });
    editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  /** A visible text editor group other than the panel's, else the column beside it. */
  private besideColumn(): vscode.ViewColumn {
    const mine = this.panel.viewColumn;
    const other = vscode.window.tabGroups.all.find((g) => g.viewColumn !== mine && g.tabs.some((t) => t.input instanceof vscode.TabInputText));
    if (other) return other.viewColumn;
    return mine === undefined ? vscode.ViewColumn.Beside : ((mine + 1) as vscode.ViewColumn);
  }

  /** Selected lines of an open layer file → the residues on them, highlighted in 3D (debounced). */
  private onEditorSelection(e: vscode.TextEditorSelectionChangeEvent): void {
    const file = e.textEditor.document.uri.fsPath;
    const src = this.input.source ?? {};
    const layer = LAYER_IDS.find((id) => src[id] && path.resolve(src[id]!) === path.resolve(file));
    const s = layer && this.input[layer];
    if (!layer || !s) return;
    clearTimeout(this.selectionTimer);
    this.selectionTimer = setTimeout(() => {
      const lines: number[] = [];
      for (const sel of e.selections) for (let l = sel.start.line; l <= sel.end.line && lines.length < 100000; l++) lines.push(l);
      const residues = residuesOnLines(s, lines);
      if (residues.length) this.highlight(residues, e.selections.some((x) => !x.isEmpty) || residues.length === 1);
    }, 120);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (ComparePanel.current === this) ComparePanel.current = undefined;
    const k = ComparePanel.all.indexOf(this);
    if (k >= 0) ComparePanel.all.splice(k, 1);
    this.input.trajectory?.close();
    clearTimeout(this.selectionTimer);
    for (const f of this.written) fs.rmSync(f, { force: true });
    this.written.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
