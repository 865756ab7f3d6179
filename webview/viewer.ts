// A lean Mol* PluginContext (no React UI: a smaller bundle and our own VS Code-themed controls) that shows
// the three comparison layers, each as its own state subtree: data → trajectory → model (frame) →
// structure → rigid transform (superposition) → component → representation.
import { OrderedSet } from 'molstar/lib/mol-data/int';
import { Mat4 } from 'molstar/lib/mol-math/linear-algebra';
import { EmptyLoci, type Loci } from 'molstar/lib/mol-model/loci';
import { Structure, StructureElement, StructureProperties as P } from 'molstar/lib/mol-model/structure';
import { createStructureRepresentationParams } from 'molstar/lib/mol-plugin-state/helpers/structure-representation-params';
import { StateTransforms } from 'molstar/lib/mol-plugin-state/transforms';
import { PluginBehaviors } from 'molstar/lib/mol-plugin/behavior';
import { setSubtreeVisibility } from 'molstar/lib/mol-plugin/behavior/static/state';
import { PluginConfig } from 'molstar/lib/mol-plugin/config';
import { PluginContext } from 'molstar/lib/mol-plugin/context';
import type { PluginSpec } from 'molstar/lib/mol-plugin/spec';
import { Color } from 'molstar/lib/mol-util/color';
import type { LayerId, ResidueKey } from '../src/shared/webview-protocol';
import { ReferenceColorThemeProvider, BeadColorThemeProvider, BeadSizeThemeProvider, DeviationColorThemeProvider, residueKeyOf } from './themes';

export interface LayerInput {
  text: string;
  format: 'pdb' | 'cif';
  label: string;
  /** Atoms per model, when the sender knows it. */
  atoms?: number;
}

/** Above this many atoms per model a layer is drawn as lines instead of balls and sticks. */
export const LARGE_ATOMS = 25000;

/** Atom records in one model, estimated from the text size (PDB lines are ~81 bytes, mmCIF rows ~90). */
function estimateAtoms(text: string): number {
  const m = /^ENDMDL/m.exec(text);
  return Math.round((m ? m.index : text.length) / 81);
}

export interface PickInfo {
  layer: LayerId;
  residue: ResidueKey;
  resName: string;
  atomName: string;
  page?: [number, number];
}

const spec = (): PluginSpec => ({
  // Only what the comparison uses: hover highlight, selection marks, click-to-focus, labels.
  behaviors: [
    { transformer: PluginBehaviors.Representation.HighlightLoci, defaultParams: {} },
    { transformer: PluginBehaviors.Representation.SelectLoci, defaultParams: {} },
    { transformer: PluginBehaviors.Representation.DefaultLociLabelProvider, defaultParams: {} },
    { transformer: PluginBehaviors.Camera.FocusLoci, defaultParams: {} },
    { transformer: PluginBehaviors.Camera.CameraControls, defaultParams: {} },
  ],
  config: [
    // Software GL (remote desktops, CI) must still get a context; blended transparency needs the fewest shaders.
    [PluginConfig.General.AllowMajorPerformanceCaveat, true],
    [PluginConfig.General.Transparency, 'blended'],
  ],
  canvas3d: {
    renderer: { backgroundColor: Color(0x1e1e1e) },
    camera: { helper: { axes: { name: 'off', params: {} } } },
    // No SSAO/bloom: each is extra full-screen passes and shaders, slow on software GL, and bonds/beads
    // read clearly without them.
    postprocessing: { occlusion: { name: 'off', params: {} }, bloom: { name: 'off', params: {} } },
  },
});

const ref = (layer: LayerId, part: string): string => `bm-${layer}-${part}`;

export class CompareViewer {
  private loaded = new Set<LayerId>();
  /** Layers drawn with the light representation (see LARGE_ATOMS). */
  private large = new Set<LayerId>();
  private epoch = 0;

  private constructor(readonly plugin: PluginContext) {}

  static async create(container: HTMLDivElement): Promise<CompareViewer> {
    const plugin = new PluginContext(spec());
    await plugin.init();
    const canvas = document.createElement('canvas');
    container.appendChild(canvas);
    if (!(await plugin.initViewerAsync(canvas, container))) throw new Error('WebGL is not available in this webview');
    const renderer = glRenderer(plugin);
    if (/swiftshader|llvmpipe|softpipe|software/i.test(renderer)) {
      // Software GL (no GPU, headless CI, some remote desktops): every frame costs CPU, so no temporal
      // multi-sampling (which redraws the scene several times after each change).
      plugin.canvas3d?.setProps({ multiSample: { mode: 'off' } });
    }
    const software = /swiftshader|llvmpipe|softpipe|software/i.test(renderer);
    plugin.representation.structure.themes.colorThemeRegistry.add(DeviationColorThemeProvider);
    plugin.representation.structure.themes.colorThemeRegistry.add(BeadColorThemeProvider);
    plugin.representation.structure.themes.colorThemeRegistry.add(ReferenceColorThemeProvider);
    plugin.representation.structure.themes.sizeThemeRegistry.add(BeadSizeThemeProvider);
    const v = new CompareViewer(plugin);
    v.renderer = renderer;
    // Camera glides are a dozen full redraws; on software GL jump instead.
    v.focusMs = software ? 0 : 250;
    return v;
  }

  /** The GL renderer string (e.g. "ANGLE (… SwiftShader …)"), for diagnostics. */
  renderer = '';
  private focusMs = 250;

  setBackground(rgb: number): void {
    this.plugin.canvas3d?.setProps({ renderer: { backgroundColor: Color(rgb) } });
  }

  get layers(): LayerId[] {
    return [...this.loaded];
  }

  /** Atoms of one model of a layer (0 when absent). */
  atomCount(layer: LayerId): number {
    return this.structureOf(layer)?.elementCount ?? 0;
  }

  modelCount(layer: LayerId): number {
    const traj = this.plugin.state.data.cells.get(ref(layer, 'traj'))?.obj?.data as { frameCount?: number } | undefined;
    return traj?.frameCount ?? 0;
  }

  /**
   * Replaces the given layers' data in one state transaction (one commit, one redraw; the camera stays).
   * `null` removes a layer; `frame` picks the model of a multi-model file.
   */
  async setLayers(inputs: Partial<Record<LayerId, LayerInput | null>>, opts: Record<LayerId, { frame: number; visible: boolean; matrix: Mat4 | null }>): Promise<void> {
    const state = this.plugin.state.data;
    const b = this.plugin.build();
    const ids = (Object.keys(inputs) as LayerId[]).filter((id) => inputs[id] !== undefined);
    for (const id of ids) {
      if (state.cells.has(ref(id, 'data'))) b.delete(ref(id, 'data'));
      this.loaded.delete(id);
    }
    for (const id of ids) {
      const input = inputs[id];
      if (!input) continue;
      const o = opts[id];
      if ((input.atoms ?? estimateAtoms(input.text)) > LARGE_ATOMS) this.large.add(id);
      else this.large.delete(id);
      const data = b.toRoot().apply(StateTransforms.Data.RawData, { data: input.text, label: input.label }, { ref: ref(id, 'data') });
      const traj =
        input.format === 'pdb'
          ? data.apply(StateTransforms.Model.TrajectoryFromPDB, {}, { ref: ref(id, 'traj') })
          : data.apply(StateTransforms.Data.ParseCif).apply(StateTransforms.Model.TrajectoryFromMmCif, {}, { ref: ref(id, 'traj') });
      traj
        .apply(StateTransforms.Model.ModelFromTrajectory, { modelIndex: o.frame }, { ref: ref(id, 'model') })
        .apply(StateTransforms.Model.StructureFromModel, {}, { ref: ref(id, 'struct') })
        .apply(StateTransforms.Model.TransformStructureConformation, matrixParams(o.matrix), { ref: ref(id, 'xf') })
        .apply(StateTransforms.Model.StructureComponent, { type: { name: 'static', params: 'all' }, nullIfEmpty: true, label: input.label }, { ref: ref(id, 'comp') })
        .apply(StateTransforms.Representation.StructureRepresentation3D, this.reprParams(id), { ref: ref(id, 'repr'), state: { isHidden: !o.visible } });
    }
    await b.commit();
    for (const id of ids) {
      if (!inputs[id]) continue;
      if (!state.cells.get(ref(id, 'xf'))?.obj) throw new Error(`Mol* could not read the ${id} structure (${inputs[id]!.label}): ${state.cells.get(ref(id, 'traj'))?.errorText ?? state.cells.get(ref(id, 'data'))?.errorText ?? 'no atoms'}`);
      this.loaded.add(id);
    }
  }

  private reprParams(layer: LayerId) {
    const p = this.plugin;
    if (layer !== 'cg' && this.large.has(layer))
      // Sticks for 25k+ atoms cost seconds per frame on modest GPUs and software GL; lines keep the
      // colouring readable at that scale (zoomed in, the eye judges residues, not bond radii).
      return createStructureRepresentationParams(p, undefined, {
        type: 'line',
        typeParams: layer === 'reference' ? { alpha: 0.75 } : {},
        color: (layer === 'backmapped' ? 'backmap-deviation' : 'backmap-reference') as never,
        colorParams: (layer === 'backmapped' ? { epoch: this.epoch } : {}) as never,
      });
    if (layer === 'cg')
      return createStructureRepresentationParams(p, undefined, {
        type: 'ball-and-stick',
        typeParams: { sizeFactor: 1, sizeAspectRatio: 0.2, alpha: 0.35, ignoreHydrogens: false },
        color: 'cg-bead-type' as never,
        size: 'cg-bead-size' as never,
      });
    if (layer === 'backmapped')
      return createStructureRepresentationParams(p, undefined, {
        type: 'ball-and-stick',
        typeParams: { sizeFactor: 0.22, sizeAspectRatio: 0.6 },
        color: 'backmap-deviation' as never,
        colorParams: { epoch: this.epoch } as never,
      });
    return createStructureRepresentationParams(p, undefined, {
      type: 'ball-and-stick',
      typeParams: { sizeFactor: 0.12, sizeAspectRatio: 0.7, alpha: 0.75 },
      color: 'backmap-reference' as never,
    });
  }

  setVisible(layer: LayerId, visible: boolean): void {
    if (this.plugin.state.data.cells.has(ref(layer, 'repr'))) setSubtreeVisibility(this.plugin.state.data, ref(layer, 'repr'), !visible);
  }

  async setTransform(layer: LayerId, matrix: Mat4 | null): Promise<void> {
    if (!this.plugin.state.data.cells.has(ref(layer, 'xf'))) return;
    await this.plugin.build().to(ref(layer, 'xf')).update(matrixParams(matrix)).commit();
  }

  async setFrame(frame: number): Promise<void> {
    const b = this.plugin.build();
    let any = false;
    for (const layer of this.loaded) {
      const n = this.modelCount(layer);
      if (n <= 1) continue; // a single-model layer (e.g. the reference) stays put
      b.to(ref(layer, 'model')).update({ modelIndex: Math.min(frame, n - 1) });
      any = true;
    }
    if (any) await b.commit();
  }

  /** Re-reads `themeData` (new per-residue RMSD) into the backmapped colours. */
  async refreshDeviationColours(): Promise<void> {
    this.epoch++;
    if (!this.plugin.state.data.cells.has(ref('backmapped', 'repr'))) return;
    await this.plugin.build().to(ref('backmapped', 'repr')).update(this.reprParams('backmapped')).commit();
  }

  /** Centre of a layer's bounding sphere in the scene (after the superposition transform). */
  centre(layer: LayerId): [number, number, number] | null {
    const c = this.structureOf(layer)?.boundary.sphere.center;
    return c ? [c[0], c[1], c[2]] : null;
  }

  private structureOf(layer: LayerId): Structure | undefined {
    return this.plugin.state.data.cells.get(ref(layer, 'xf'))?.obj?.data as Structure | undefined;
  }

  /** Loci of the given residues in one layer, built directly from the units (no query compilation). */
  residueLoci(layer: LayerId, keys: Set<string>): StructureElement.Loci | null {
    const s = this.structureOf(layer);
    if (!s || keys.size === 0) return null;
    const l = StructureElement.Location.create(s);
    const elements: StructureElement.Loci['elements'][0][] = [];
    for (const unit of s.units) {
      l.unit = unit;
      const idx: number[] = [];
      for (let i = 0; i < unit.elements.length; i++) {
        l.element = unit.elements[i];
        if (keys.has(residueKeyOf(l))) idx.push(i);
      }
      if (idx.length) elements.push({ unit, indices: OrderedSet.ofSortedArray(idx as never) });
    }
    return elements.length ? StructureElement.Loci(s, elements) : null;
  }

  /** Marks residues in every layer (Mol* selection colour) and optionally zooms to them. */
  select(residues: ResidueKey[], focus: boolean): void {
    const keys = new Set(residues.map((r) => `${r.chainId}|${r.resSeq}|${r.iCode}`));
    const sel = this.plugin.managers.interactivity.lociSelects;
    sel.deselectAll();
    let focusLoci: Loci | null = null;
    for (const layer of this.loaded) {
      const loci = this.residueLoci(layer, keys);
      if (!loci) continue;
      sel.select({ loci });
      if (!focusLoci || layer === 'backmapped') focusLoci = loci;
    }
    if (focus && focusLoci) this.plugin.managers.camera.focusLoci(focusLoci, { extraRadius: 4, durationMs: this.focusMs });
  }

  /** Atoms currently selected (marked) across the layers. */
  selectedCount(): number {
    return this.plugin.managers.structure.selection.elementCount();
  }

  clearHover(): void {
    this.plugin.managers.interactivity.lociHighlights.highlightOnly({ loci: EmptyLoci });
  }

  /** Highlights one residue (as if hovered), e.g. when the pointer is over it in a plot. */
  hoverResidue(r: ResidueKey | null): void {
    const hl = this.plugin.managers.interactivity.lociHighlights;
    hl.clearHighlights();
    if (!r) return;
    const keys = new Set([`${r.chainId}|${r.resSeq}|${r.iCode}`]);
    for (const layer of this.loaded) {
      const loci = this.residueLoci(layer, keys);
      if (loci) hl.highlight({ loci });
    }
  }

  private pick(loci: Loci): Omit<PickInfo, 'page'> | null {
    if (!StructureElement.Loci.is(loci) || StructureElement.Loci.isEmpty(loci)) return null;
    const root = loci.structure.root;
    const layer = [...this.loaded].find((id) => {
      const s = this.structureOf(id);
      return s === root || s === loci.structure || s?.root === root;
    });
    if (!layer) return null;
    const l = StructureElement.Loci.getFirstLocation(loci)!;
    return {
      layer,
      residue: { chainId: P.chain.auth_asym_id(l), resSeq: P.residue.auth_seq_id(l), iCode: P.residue.pdbx_PDB_ins_code(l) },
      resName: P.atom.auth_comp_id(l),
      atomName: P.atom.label_atom_id(l),
    };
  }

  onHover(cb: (info: PickInfo | null) => void): void {
    this.plugin.behaviors.interaction.hover.subscribe((e) => {
      const p = this.pick(e.current.loci);
      cb(p ? { ...p, page: e.page ? [e.page[0], e.page[1]] : undefined } : null);
    });
  }

  onClick(cb: (info: PickInfo | null) => void): void {
    this.plugin.behaviors.interaction.click.subscribe((e) => {
      const p = this.pick(e.current.loci);
      cb(p ? { ...p, page: e.page ? [e.page[0], e.page[1]] : undefined } : null);
    });
  }

  resetCamera(): void {
    this.plugin.managers.camera.reset();
  }

  /**
   * Resolves once the next frame is really on screen: GL calls return before the GPU (or software GL)
   * has run them, so after the frame callback we wait for the GPU command queue to drain.
   */
  async drawn(): Promise<void> {
    const c = this.plugin.canvas3d;
    if (!c) return;
    c.requestDraw();
    await new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
    await this.plugin.canvas3dContext?.webgl.waitForGpuCommandsComplete();
  }
}

function glRenderer(plugin: PluginContext): string {
  try {
    const gl = plugin.canvas3dContext?.webgl.gl;
    if (!gl) return '';
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  } catch {
    return '';
  }
}

function matrixParams(m: Mat4 | null) {
  return { transform: { name: 'matrix' as const, params: { data: m ?? Mat4.identity(), transpose: false } } };
}

export const isIdentity = (m: Mat4 | null): boolean => !m || Mat4.areEqual(m, Mat4.identity(), 1e-9);
