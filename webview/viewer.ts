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
import { REFERENCE_COLOUR } from './scale';
import { BeadColorThemeProvider, BeadSizeThemeProvider, DeviationColorThemeProvider, residueKeyOf } from './themes';

export interface LayerInput {
  text: string;
  format: 'pdb' | 'cif';
  label: string;
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
  },
});

const ref = (layer: LayerId, part: string): string => `bm-${layer}-${part}`;

export class CompareViewer {
  private loaded = new Set<LayerId>();
  private epoch = 0;

  private constructor(readonly plugin: PluginContext) {}

  static async create(container: HTMLDivElement): Promise<CompareViewer> {
    const plugin = new PluginContext(spec());
    await plugin.init();
    const canvas = document.createElement('canvas');
    container.appendChild(canvas);
    if (!(await plugin.initViewerAsync(canvas, container))) throw new Error('WebGL is not available in this webview');
    plugin.representation.structure.themes.colorThemeRegistry.add(DeviationColorThemeProvider);
    plugin.representation.structure.themes.colorThemeRegistry.add(BeadColorThemeProvider);
    plugin.representation.structure.themes.sizeThemeRegistry.add(BeadSizeThemeProvider);
    return new CompareViewer(plugin);
  }

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

  /** Replaces a layer's data (keeps the camera); `frame` picks the model of a multi-model file. */
  async setLayer(layer: LayerId, input: LayerInput | null, opts: { frame: number; visible: boolean; matrix: Mat4 | null }): Promise<void> {
    const state = this.plugin.state.data;
    if (state.cells.has(ref(layer, 'data'))) await this.plugin.build().delete(ref(layer, 'data')).commit();
    this.loaded.delete(layer);
    if (!input) return;
    const b = this.plugin.build();
    const node = b.toRoot().apply(StateTransforms.Data.RawData, { data: input.text, label: input.label }, { ref: ref(layer, 'data') });
    const traj =
      input.format === 'pdb'
        ? node.apply(StateTransforms.Model.TrajectoryFromPDB, {}, { ref: ref(layer, 'traj') })
        : node.apply(StateTransforms.Data.ParseCif).apply(StateTransforms.Model.TrajectoryFromMmCif, {}, { ref: ref(layer, 'traj') });
    const struct = traj
      .apply(StateTransforms.Model.ModelFromTrajectory, { modelIndex: opts.frame }, { ref: ref(layer, 'model') })
      .apply(StateTransforms.Model.StructureFromModel, {}, { ref: ref(layer, 'struct') })
      .apply(StateTransforms.Model.TransformStructureConformation, matrixParams(opts.matrix), { ref: ref(layer, 'xf') })
      .apply(StateTransforms.Model.StructureComponent, { type: { name: 'static', params: 'all' }, nullIfEmpty: true, label: input.label }, { ref: ref(layer, 'comp') });
    struct.apply(StateTransforms.Representation.StructureRepresentation3D, this.reprParams(layer), {
      ref: ref(layer, 'repr'),
      state: { isHidden: !opts.visible },
    });
    const tc = performance.now();
    await b.commit();
    const td = performance.now();
    await this.drawn();
    console.log('commit', layer, Math.round(td - tc), 'draw', Math.round(performance.now() - td));
    this.loaded.add(layer);
    setSubtreeVisibility(state, ref(layer, 'repr'), !opts.visible);
  }

  private reprParams(layer: LayerId) {
    const p = this.plugin;
    if (layer === 'cg')
      return createStructureRepresentationParams(p, undefined, {
        type: 'ball-and-stick',
        typeParams: { sizeFactor: 1, sizeAspectRatio: 0.22, alpha: 0.55, ignoreHydrogens: false },
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
      color: 'uniform',
      colorParams: { value: Color(REFERENCE_COLOUR) },
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
    if (focus && focusLoci) this.plugin.managers.camera.focusLoci(focusLoci, { extraRadius: 4 });
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

  /** Resolves after the next frame has been drawn with everything committed so far. */
  async drawn(): Promise<void> {
    const c = this.plugin.canvas3d;
    if (!c) return;
    c.requestDraw();
    await new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
  }
}

function matrixParams(m: Mat4 | null) {
  return { transform: { name: 'matrix' as const, params: { data: m ?? Mat4.identity(), transpose: false } } };
}

export const isIdentity = (m: Mat4 | null): boolean => !m || Mat4.areEqual(m, Mat4.identity(), 1e-9);
