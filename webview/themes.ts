// Mol* colour/size themes for the comparison: per-residue deviation (backmapped layer) and CG bead type.
import { Bond, StructureElement, StructureProperties as P, Unit, type Model } from 'molstar/lib/mol-model/structure';
import type { Location } from 'molstar/lib/mol-model/location';
import type { ColorTypeLocation } from 'molstar/lib/mol-geo/geometry/color-data';
import type { ColorTheme } from 'molstar/lib/mol-theme/color';
import type { SizeTheme } from 'molstar/lib/mol-theme/size';
import type { ThemeDataContext } from 'molstar/lib/mol-theme/theme';
import { Color } from 'molstar/lib/mol-util/color';
import { ParamDefinition as PD } from 'molstar/lib/mol-util/param-definition';
import { beadColour, deviationRgb, isBackboneBead, REFERENCE_COLOUR, rgbHex } from './scale';

/** Live lookup tables the themes read; `epoch` in the theme params forces Mol* to recolour after a change. */
export const themeData = {
  /** residue key `chain|resSeq|iCode` → per-residue RMSD (Å) */
  rmsd: new Map<string, number | null>(),
  maxRmsd: 3,
};

const elementLoc = StructureElement.Location.create();
/** The atom a location stands for (bonds take their first atom), or null. */
function atomOf(location: Location): StructureElement.Location | null {
  if (StructureElement.Location.is(location)) return location;
  if (Bond.isLocation(location)) {
    elementLoc.structure = location.aStructure;
    elementLoc.unit = location.aUnit;
    elementLoc.element = location.aUnit.elements[location.aIndex];
    return elementLoc;
  }
  return null;
}

/** Mol* keeps a blank PDB chain column as ' '; the extension's residues (and GRO files) have ''. */
export const chainIdOf = (authAsymId: string): string => authAsymId.trim();

export const residueKeyOf = (l: StructureElement.Location): string =>
  `${chainIdOf(P.chain.auth_asym_id(l))}|${P.residue.auth_seq_id(l)}|${P.residue.pdbx_PDB_ins_code(l)}`;

const DeviationParams = { epoch: PD.Numeric(0, {}, { isHidden: true }) };
type DeviationParams = typeof DeviationParams;

/** Colour per residue index of a model, built once per theme instance (string keys per residue, not per atom). */
function residueColours(model: Model): Uint32Array {
  const h = model.atomicHierarchy;
  const n = h.residues._rowCount;
  const out = new Uint32Array(n);
  const first = h.residueAtomSegments.offsets;
  for (let ri = 0; ri < n; ri++) {
    const ci = h.chainAtomSegments.index[first[ri]];
    const key = `${chainIdOf(h.chains.auth_asym_id.value(ci))}|${h.residues.auth_seq_id.value(ri)}|${h.residues.pdbx_PDB_ins_code.value(ri)}`;
    out[ri] = rgbHex(deviationRgb(themeData.rmsd.get(key), themeData.maxRmsd));
  }
  return out;
}

export const DeviationColorThemeProvider: ColorTheme.Provider<DeviationParams, 'backmap-deviation', ColorTypeLocation> = {
  name: 'backmap-deviation',
  label: 'Backmap deviation',
  category: 'Backmap Studio',
  factory: (_ctx: ThemeDataContext, props: PD.Values<DeviationParams>): ColorTheme<DeviationParams> => {
    const cache = new Map<Model, Uint32Array>();
    return {
      factory: DeviationColorThemeProvider.factory,
      granularity: 'group',
      props,
      description: 'Per-residue RMSD of the backmapped structure from the reference.',
      color: (location: Location): Color => {
        const l = atomOf(location);
        if (!l || !Unit.isAtomic(l.unit)) return Color(0x969696);
        const model = l.unit.model;
        let colours = cache.get(model);
        if (!colours) cache.set(model, (colours = residueColours(model)));
        return Color(colours[model.atomicHierarchy.residueAtomSegments.index[l.element]]);
      },
    };
  },
  getParams: () => DeviationParams,
  defaultValues: PD.getDefaultValues(DeviationParams),
  isApplicable: (ctx: ThemeDataContext) => !!ctx.structure,
};

const EmptyParams = {};
type EmptyParams = typeof EmptyParams;

export const BeadColorThemeProvider: ColorTheme.Provider<EmptyParams, 'cg-bead-type', ColorTypeLocation> = {
  name: 'cg-bead-type',
  label: 'CG bead type',
  category: 'Backmap Studio',
  factory: (_ctx: ThemeDataContext, props: PD.Values<EmptyParams>): ColorTheme<EmptyParams> => ({
    factory: BeadColorThemeProvider.factory,
    granularity: 'group',
    props,
    description: 'Backbone vs side-chain beads.',
    color: (location: Location): Color => {
      const l = atomOf(location);
      return Color(l ? beadColour(P.atom.label_atom_id(l)) : 0x9e9e9e);
    },
  }),
  getParams: () => EmptyParams,
  defaultValues: {},
  isApplicable: (ctx: ThemeDataContext) => !!ctx.structure,
};

/** Bead radii (Å): Martini regular bead ≈ 2.35 Å, drawn smaller so the atoms inside stay visible. */
export const BB_RADIUS = 1.7;
export const SC_RADIUS = 1.3;

export const BeadSizeThemeProvider: SizeTheme.Provider<EmptyParams, 'cg-bead-size'> = {
  name: 'cg-bead-size',
  label: 'CG bead size',
  category: 'Backmap Studio',
  factory: (_ctx: ThemeDataContext, props: PD.Values<EmptyParams>): SizeTheme<EmptyParams> => ({
    factory: BeadSizeThemeProvider.factory,
    granularity: 'group',
    props,
    description: 'Backbone beads larger than side-chain beads.',
    size: (location: Location): number => {
      if (Bond.isLocation(location)) return SC_RADIUS;
      const l = atomOf(location);
      return l && isBackboneBead(P.atom.label_atom_id(l)) ? BB_RADIUS : SC_RADIUS;
    },
  }),
  getParams: () => EmptyParams,
  defaultValues: {},
  isApplicable: (ctx: ThemeDataContext) => !!ctx.structure,
};

/**
 * The reference's single colour, as a per-group theme on purpose: the same shader variant as the other
 * layers (Mol*'s 'uniform' theme compiles its own programs, seconds each on software GL).
 */
export const ReferenceColorThemeProvider: ColorTheme.Provider<EmptyParams, 'backmap-reference', ColorTypeLocation> = {
  name: 'backmap-reference',
  label: 'Reference (grey)',
  category: 'Backmap Studio',
  factory: (_ctx: ThemeDataContext, props: PD.Values<EmptyParams>): ColorTheme<EmptyParams> => ({
    factory: ReferenceColorThemeProvider.factory,
    granularity: 'group',
    props,
    description: 'Reference structure.',
    color: (): Color => Color(REFERENCE_COLOUR),
  }),
  getParams: () => EmptyParams,
  defaultValues: {},
  isApplicable: (ctx: ThemeDataContext) => !!ctx.structure,
};
