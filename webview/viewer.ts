// A lean Mol* PluginContext (no React UI: a smaller bundle and our own VS Code-themed controls) that shows
// the three comparison layers, each as its own state subtree: data → trajectory → model (frame) →
// structure → rigid transform (superposition) → component → representation.
import { OrderedSet } from 'molstar/lib/mol-data/int';
import { Mat4 } from 'molstar/lib/mol-math/linear-algebra';
import { EmptyLoci, type Loci } from 'molstar/lib/mol-model/loci';
import { Model, Structure, StructureElement, StructureProperties as P } from 'molstar/lib/mol-model/structure';
import { Time } from 'molstar/lib/mol-model/structure/coordinates';
import { PluginStateObject as SO, PluginStateTransform } from 'molstar/lib/mol-plugin-state/objects';
import { MolScriptBuilder as MS } from 'molstar/lib/mol-script/language/builder';
import { Task } from 'molstar/lib/mol-task';
import { UUID } from 'molstar/lib/mol-util';
import { ParamDefinition as PD } from 'molstar/lib/mol-util/param-definition';
import { createStructureRepresentationParams } from 'molstar/lib/mol-plugin-state/helpers/structure-representation-params';
import { StateTransforms } from 'molstar/lib/mol-plugin-state/transforms';
import { PluginBehaviors } from 'molstar/lib/mol-plugin/behavior';
import { setSubtreeVisibility } from 'molstar/lib/mol-plugin/behavior/static/state';
import { PluginConfig } from 'molstar/lib/mol-plugin/config';
import { PluginContext } from 'molstar/lib/mol-plugin/context';
import type { PluginSpec } from 'molstar/lib/mol-plugin/spec';
import { Color } from 'molstar/lib/mol-util/color';
import { VIEW_CLASSES, type LayerClasses, type LayerId, type ResidueKey, type ViewClass } from '../src/shared/webview-protocol';
import { ReferenceColorThemeProvider, BeadColorThemeProvider, BeadSizeThemeProvider, chainIdOf, DeviationColorThemeProvider, residueKeyOf } from './themes';

export interface LayerInput {
  text: string;
  format: 'pdb' | 'cif';
  label: string;
  /** Atoms per model, when the sender knows it. */
  atoms?: number;
  /** Residue names per molecule class (the extension's classification); absent: Mol*'s entity types stand in. */
  classes?: LayerClasses;
}

/** Above this many atoms per model a layer's balls and sticks are drawn as lines. */
export const LARGE_ATOMS = 25000;

/** How a layer is drawn: all-atom layers default to cartoon + side chains, CG layers to beads. */
export type AtomRepresentation = 'cartoon' | 'ball-and-stick' | 'spacefill';
export type CgRepresentation = 'beads' | 'spacefill';
export type LayerRepresentation = AtomRepresentation | CgRepresentation;
export const REPRESENTATIONS: Record<'atoms' | 'cg', { id: LayerRepresentation; label: string }[]> = {
  atoms: [
    { id: 'cartoon', label: 'Cartoon + side chains' },
    { id: 'ball-and-stick', label: 'Ball & stick' },
    { id: 'spacefill', label: 'Spacefill' },
  ],
  cg: [
    { id: 'beads', label: 'Beads + bonds' },
    { id: 'spacefill', label: 'Spacefill' },
  ],
};
export const defaultRepresentation = (layer: LayerId): LayerRepresentation => (layer === 'cg' ? 'beads' : 'cartoon');

/**
 * Parts of a layer, each its own Mol* component, so that each molecule class has its own toggle and style: one
 * part per class, and the protein's side chains apart (sticks on the cartoon).
 */
type Part = ViewClass | 'side';
const PARTS: Part[] = ['protein', 'side', 'lipid', 'sterol', 'ligand', 'water', 'ion'];
const classOfPart = (p: Part): ViewClass => (p === 'side' ? 'protein' : p);
type ReprType = 'cartoon' | 'ball-and-stick' | 'spacefill' | 'line' | 'beads' | 'ions';
type Expression = ReturnType<typeof MS.struct.generator.atomGroups>;

const entityType = () => MS.ammp('entityType');
const notBackbone = () => MS.core.logic.not([MS.core.set.has([MS.set('N', 'C', 'O', 'OXT'), MS.ammp('label_atom_id')])]);
const named = (names: string[]) => MS.core.set.has([MS.set(...names), MS.ammp('auth_comp_id')]);

/** A layer sent without classes: Mol*'s own entity types stand in (polymer, water, everything else a ligand). */
const ENTITY_PARTS: Partial<Record<Part, () => Expression>> = {
  protein: () => MS.struct.generator.atomGroups({ 'entity-test': MS.core.rel.eq([entityType(), 'polymer']) }),
  side: () => MS.struct.generator.atomGroups({ 'entity-test': MS.core.rel.eq([entityType(), 'polymer']), 'atom-test': notBackbone() }),
  ligand: () => MS.struct.generator.atomGroups({ 'entity-test': MS.core.logic.and([MS.core.rel.neq([entityType(), 'polymer']), MS.core.rel.neq([entityType(), 'water'])]) }),
  water: () => MS.struct.generator.atomGroups({ 'entity-test': MS.core.rel.eq([entityType(), 'water']) }),
};

/** The parts a layer has and the expression selecting each, by the residue names of its classes. */
function layerParts(classes: LayerClasses | undefined): [Part, () => Expression][] {
  if (!classes) return PARTS.filter((p) => ENTITY_PARTS[p]).map((p) => [p, ENTITY_PARTS[p]!]);
  const out: [Part, () => Expression][] = [];
  for (const p of PARTS) {
    const names = classes[classOfPart(p)];
    if (p === 'ligand') {
      // Everything no other class names: every atom is in exactly one part, whatever names the file carries.
      const others = VIEW_CLASSES.filter((c) => c !== 'ligand').flatMap((c) => classes[c] ?? []);
      out.push([p, () => (others.length ? MS.struct.generator.atomGroups({ 'residue-test': MS.core.logic.not([named(others)]) }) : MS.struct.generator.all())]);
    } else if (names?.length) {
      // Side chains keep their CA, so the sticks join the cartoon.
      out.push([p, () => MS.struct.generator.atomGroups(p === 'side' ? { 'residue-test': named(names), 'atom-test': notBackbone() } : { 'residue-test': named(names) })]);
    }
  }
  return out;
}

/**
 * Trajectory frames streamed as coordinates: the extension sends each frame's x,y,z, kept here per layer; the
 * `FrameCoordinates` transform (after the model) swaps them into the model, as Mol*'s own trajectories do.
 */
const frameCoordinates = new Map<string, Float32Array>();

const FrameCoordinates = PluginStateTransform.BuiltIn({
  name: 'backmap-frame-coordinates',
  display: { name: 'Frame coordinates' },
  from: SO.Molecule.Model,
  to: SO.Molecule.Model,
  params: { key: PD.Text(''), version: PD.Numeric(0) },
})({
  apply({ a, params }) {
    return Task.create('Frame coordinates', async () => {
      const xyz = frameCoordinates.get(params.key);
      const model = a.data;
      const n = model.atomicHierarchy.atoms._rowCount;
      if (!xyz || params.version === 0) return new SO.Molecule.Model(model, { label: a.label, description: a.description });
      if (xyz.length !== 3 * n) throw new Error(`frame has ${xyz.length / 3} atoms, the structure ${n}`);
      const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        x[i] = xyz[3 * i];
        y[i] = xyz[3 * i + 1];
        z[i] = xyz[3 * i + 2];
      }
      const frame = { elementCount: n, time: Time(params.version, 'step'), x, y, z, xyzOrdering: { isIdentity: true } };
      const m: Model = { ...model, id: UUID.create22(), atomicConformation: Model.getAtomicConformationFromFrame(model, frame), _dynamicPropertyData: Object.create(null) };
      return new SO.Molecule.Model(m, { label: a.label, description: `frame ${params.version}` });
    });
  },
});

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
  /** Representation per layer (the user's choice). */
  readonly representation: Record<LayerId, LayerRepresentation> = { cg: 'beads', backmapped: 'cartoon', reference: 'cartoon' };
  private readonly visible: Record<LayerId, boolean> = { cg: true, backmapped: true, reference: true };
  /**
   * Molecule classes shown. Water (and Martini W beads) is hidden unless asked for: it buries the solute of a
   * whole system. A hidden class has its component but no representation until it is first shown, so the water
   * of a solvated system costs nothing to open.
   */
  readonly classVisible: Record<ViewClass, boolean> = { protein: true, lipid: true, sterol: true, ligand: true, water: false, ion: true };
  private readonly classes: Partial<Record<LayerId, LayerClasses>> = {};
  private coordinateVersion = 0;

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
      frameCoordinates.delete(id);
      this.visible[id] = o.visible;
      if (input.classes) this.classes[id] = input.classes;
      else delete this.classes[id];
      const xf = traj
        .apply(StateTransforms.Model.ModelFromTrajectory, { modelIndex: o.frame }, { ref: ref(id, 'model') })
        .apply(FrameCoordinates, { key: id, version: 0 }, { ref: ref(id, 'coords') })
        .apply(StateTransforms.Model.StructureFromModel, {}, { ref: ref(id, 'struct') })
        .apply(StateTransforms.Model.TransformStructureConformation, matrixParams(o.matrix), { ref: ref(id, 'xf') });
      this.buildParts(xf, id, input.label);
    }
    await b.commit();
    for (const id of ids) {
      if (!inputs[id]) continue;
      if (!state.cells.get(ref(id, 'xf'))?.obj) throw new Error(`Mol* could not read the ${id} structure (${inputs[id]!.label}): ${state.cells.get(ref(id, 'traj'))?.errorText ?? state.cells.get(ref(id, 'data'))?.errorText ?? 'no atoms'}`);
      this.loaded.add(id);
    }
  }

  /**
   * The parts a layer's representation draws, each with its selection and the Mol* representation type that
   * draws it: CG beads as beads whatever the class; in the atom layers only the protein as a cartoon (Mol* draws
   * none for lipids), lipids, sterols, ligands and water as sticks (lines for large layers), ions as small spheres.
   */
  private partsOf(layer: LayerId): [Part, ReprType, () => Expression][] {
    const mode = this.representation[layer];
    const sticks = this.large.has(layer) ? 'line' : 'ball-and-stick';
    const out: [Part, ReprType, () => Expression][] = [];
    for (const [part, expression] of layerParts(this.classes[layer])) {
      if (part === 'side' && (layer === 'cg' || mode !== 'cartoon')) continue;
      let type: ReprType;
      if (layer === 'cg') type = mode === 'spacefill' ? 'spacefill' : 'beads';
      else if (mode === 'spacefill') type = 'spacefill';
      else if (part === 'ion') type = 'ions';
      else if (part === 'protein' && mode === 'cartoon') type = 'cartoon';
      else type = sticks;
      out.push([part, type, expression]);
    }
    return out;
  }

  private partVisible(layer: LayerId, part: Part): boolean {
    return this.visible[layer] && this.classVisible[classOfPart(part)];
  }

  private buildParts(xf: ReturnType<ReturnType<PluginContext['build']>['to']>, layer: LayerId, label: string): void {
    for (const [part, type, expression] of this.partsOf(layer)) {
      const comp = xf.apply(StateTransforms.Model.StructureComponent, { type: { name: 'expression', params: expression() }, nullIfEmpty: true, label: `${label} (${part})` }, { ref: ref(layer, `comp-${part}`) });
      if (this.classVisible[classOfPart(part)])
        comp.apply(StateTransforms.Representation.StructureRepresentation3D, this.reprParams(layer, type), { ref: ref(layer, `repr-${part}`), state: { isHidden: !this.partVisible(layer, part) } });
    }
  }

  /** Switches a layer's representation (rebuilds its components; the camera stays). */
  async setRepresentation(layer: LayerId, mode: LayerRepresentation): Promise<void> {
    this.representation[layer] = mode;
    const state = this.plugin.state.data;
    if (!state.cells.has(ref(layer, 'xf'))) return;
    const b = this.plugin.build();
    for (const part of PARTS) if (state.cells.has(ref(layer, `comp-${part}`))) b.delete(ref(layer, `comp-${part}`));
    const label = state.cells.get(ref(layer, 'data'))?.obj?.label ?? layer;
    this.buildParts(b.to(ref(layer, 'xf')), layer, label);
    await b.commit();
  }

  /** Mol* representation types drawn for a layer (tests: cartoon by default). */
  representationTypes(layer: LayerId): string[] {
    const out: string[] = [];
    for (const part of PARTS) {
      const cell = this.plugin.state.data.cells.get(ref(layer, `repr-${part}`));
      const t = (cell?.transform.params as { type?: { name: string } } | undefined)?.type?.name;
      if (t && cell?.obj) out.push(t);
    }
    return out;
  }

  /** Each part of a layer: its class, atoms, the Mol* representation drawing it (none until first shown) and whether it is shown. */
  parts(layer: LayerId): { part: Part; class: ViewClass; atoms: number; type?: string; shown: boolean }[] {
    const state = this.plugin.state.data;
    return PARTS.filter((part) => state.cells.has(ref(layer, `comp-${part}`))).map((part) => {
      const s = state.cells.get(ref(layer, `comp-${part}`))?.obj?.data as Structure | undefined;
      const repr = state.cells.get(ref(layer, `repr-${part}`));
      const type = repr?.obj ? (repr.transform.params as { type?: { name: string } } | undefined)?.type?.name : undefined;
      return { part, class: classOfPart(part), atoms: s?.elementCount ?? 0, type, shown: !!type && !repr!.state.isHidden };
    });
  }

  /** Atoms of one molecule class in a layer (a class toggle is offered only when some layer has some). */
  classCount(layer: LayerId, cls: ViewClass): number {
    const s = this.plugin.state.data.cells.get(ref(layer, `comp-${cls}`))?.obj?.data as Structure | undefined;
    return s?.elementCount ?? 0;
  }

  /** Shows or hides a molecule class in every layer; its representations are built the first time it is shown. */
  async setClassVisible(cls: ViewClass, visible: boolean): Promise<void> {
    this.classVisible[cls] = visible;
    const state = this.plugin.state.data;
    if (visible) {
      const b = this.plugin.build();
      let any = false;
      for (const layer of this.loaded)
        for (const [part, type] of this.partsOf(layer)) {
          const comp = ref(layer, `comp-${part}`), repr = ref(layer, `repr-${part}`);
          if (classOfPart(part) !== cls || state.cells.has(repr) || !state.cells.get(comp)?.obj) continue;
          b.to(comp).apply(StateTransforms.Representation.StructureRepresentation3D, this.reprParams(layer, type), { ref: repr, state: { isHidden: !this.partVisible(layer, part) } });
          any = true;
        }
      if (any) await b.commit();
    }
    for (const layer of this.loaded) this.applyVisibility(layer);
  }

  private applyVisibility(layer: LayerId): void {
    const state = this.plugin.state.data;
    for (const part of PARTS) {
      const r = ref(layer, `repr-${part}`);
      if (state.cells.has(r)) setSubtreeVisibility(state, r, !this.partVisible(layer, part));
    }
  }

  /** Coordinate-mode trajectories: shows `coords` (x,y,z per atom, Å) as the layer's current frame. */
  async setCoordinates(frames: Partial<Record<LayerId, ArrayLike<number>>>): Promise<void> {
    const b = this.plugin.build();
    let any = false;
    const version = ++this.coordinateVersion;
    for (const [layer, c] of Object.entries(frames) as [LayerId, ArrayLike<number>][]) {
      if (!c || !this.plugin.state.data.cells.has(ref(layer, 'coords'))) continue;
      frameCoordinates.set(layer, c instanceof Float32Array ? c : Float32Array.from(c));
      b.to(ref(layer, 'coords')).update({ key: layer, version });
      any = true;
    }
    if (any) await b.commit();
  }

  /** Fits the camera to what is shown (no animation), e.g. after the view was resized. */
  fit(): void {
    this.plugin.managers.camera.reset(undefined, 0);
  }

  private reprParams(layer: LayerId, type: ReprType) {
    const p = this.plugin;
    const color = (layer === 'backmapped' ? 'backmap-deviation' : layer === 'reference' ? 'backmap-reference' : 'cg-bead-type') as never;
    const colorParams = (layer === 'backmapped' ? { epoch: this.epoch } : {}) as never;
    const alpha = layer === 'reference' ? { alpha: 0.75 } : {};
    if (type === 'cartoon') return createStructureRepresentationParams(p, undefined, { type: 'cartoon', typeParams: { ...alpha }, color, colorParams });
    // Ions: small spheres (a third of the van der Waals radius): seen among lines, hiding nothing.
    if (type === 'ions') return createStructureRepresentationParams(p, undefined, { type: 'spacefill', typeParams: { sizeFactor: 0.35, ...alpha }, color, colorParams });
    if (type === 'spacefill')
      return layer === 'cg'
        ? createStructureRepresentationParams(p, undefined, { type: 'spacefill', typeParams: { alpha: 0.6 }, color, size: 'cg-bead-size' as never })
        : createStructureRepresentationParams(p, undefined, { type: 'spacefill', typeParams: { ...alpha }, color, colorParams });
    if (type === 'beads')
      return createStructureRepresentationParams(p, undefined, {
        type: 'ball-and-stick',
        typeParams: { sizeFactor: 1, sizeAspectRatio: 0.2, alpha: 0.35, ignoreHydrogens: false },
        color,
        size: 'cg-bead-size' as never,
      });
    // Sticks for 25k+ atoms cost seconds per frame on modest GPUs and software GL; lines keep the colouring
    // readable at that scale (zoomed in, the eye judges residues, not bond radii).
    if (type === 'line') return createStructureRepresentationParams(p, undefined, { type: 'line', typeParams: { ...alpha }, color, colorParams });
    return createStructureRepresentationParams(p, undefined, {
      type: 'ball-and-stick',
      typeParams: layer === 'reference' ? { sizeFactor: 0.12, sizeAspectRatio: 0.7, alpha: 0.75 } : { sizeFactor: 0.22, sizeAspectRatio: 0.6 },
      color,
      colorParams,
    });
  }

  setVisible(layer: LayerId, visible: boolean): void {
    this.visible[layer] = visible;
    this.applyVisibility(layer);
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
    const b = this.plugin.build();
    let any = false;
    for (const [part, type] of this.partsOf('backmapped')) {
      if (!this.plugin.state.data.cells.has(ref('backmapped', `repr-${part}`))) continue;
      b.to(ref('backmapped', `repr-${part}`)).update(this.reprParams('backmapped', type));
      any = true;
    }
    if (any) await b.commit();
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
      residue: { chainId: chainIdOf(P.chain.auth_asym_id(l)), resSeq: P.residue.auth_seq_id(l), iCode: P.residue.pdbx_PDB_ins_code(l) },
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
