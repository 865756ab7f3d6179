/**
 * Hydrogens for the protein residues of a heavy-atom structure, and force-field names: protonation states at a pH
 * (ASP/GLU/LYS by model pKa, HIS tautomers by the hydrogen-bond network, disulfide-bonded CYS without HG), charged
 * termini (chain breaks included), the C-terminal OXT when missing, every hydrogen on ideal geometry from the heavy
 * atoms (`chemistry/hydrogens.ts`), rotatable groups staggered where they touch least. Lipids and sterols of the
 * chemistry table get theirs the same way, from groups derived from their topology (`lipid-hydrogens.ts`), under
 * CHARMM36 names (`names: 'amber'`: AMBER Lipid17/21, `lipid-names.ts`). Waters get theirs on TIP3P geometry, each turned to make hydrogen bonds
 * (`placeWater`), under the naming's water names. Ions and other residues pass through unchanged (the pipeline gives
 * molecules of user-trained models theirs after this step, from the cards: `ligand-hydrogens.ts`, `hydrogenStep`).
 * Model 0 only: the result has one model.
 *
 * The decisions (protonation states, HIS tautomers, disulfides, termini) are one `ProtonationPlan`
 * (`decideProtonation`), plain data: a trajectory decides it on its first frame and places every frame with it
 * (`addHydrogens(frame, { plan })`), so every frame has the same atoms in the same order. Rotatable groups and
 * waters are still turned per frame.
 */
import type { Structure, Residue } from './structure/types';
import { StructureBuilder, residuesOf } from './structure/builder';
import { guessElement } from './structure/elements';
import { protonationParent, residueVariant } from './chemistry/variants';
import { OXT_ANGLE, OXT_BOND } from './chemistry/amino-acids';
import {
  EXPLICIT_STATES,
  N_TERMINAL,
  N_TERMINAL_PRO,
  PKA,
  hydrogenGroups,
  stateParent,
  type HydrogenGroup,
  type ProtonationState,
} from './chemistry/hydrogens';
import { FORCE_FIELD_NAMINGS, atomNameFor, engineHeavyName, residueNameFor, type ForceFieldNaming } from './ffnames';
import { lipidNameFor, lipidResidueNameFor } from './lipid-names';
import { lipidHydrogenPlan, type LipidHydrogenPlan } from './lipid-hydrogens';
import { UsageError } from './errors';
import { isWaterResidue, WATER_OXYGEN_NAMES, TIP3P } from './chemistry/solvent';
import { waterNamesFor } from './ffnames';
import { placeAtom } from './geometry/nerf';
import { dihedral } from './geometry/dihedral';
import { add, cross, dot, normalize, sub, type Vec3 } from './geometry/vec';

export interface HydrogenOptions {
  /** Add hydrogens (default true); false only renames and adds OXT. */
  hydrogens?: boolean;
  /** pH for ASP/GLU/HIS/LYS protonation (default 7). */
  ph?: number;
  /** Residue and atom names (default 'charmm'). */
  names?: ForceFieldNaming;
  /**
   * Decisions made before (`decideProtonation`, e.g. on a trajectory's first frame): applied instead of deciding
   * again. `ph` is then the plan's. Refused (UsageError) when the structure's residues are not the plan's.
   */
  plan?: ProtonationPlan;
}

/** What was decided for one protein residue. */
export interface ResidueProtonation {
  /** Index of the residue among the structure's residues (`residuesOf`). */
  residue: number;
  /** Its name in the structure it was decided on (checked when the plan is applied). */
  resName: string;
  state: ProtonationState;
  nTerminal: boolean;
  cTerminal: boolean;
}

/**
 * The protonation decisions of a structure (`decideProtonation`): plain, serialisable data, so one decision can be
 * applied to every frame of a trajectory (and sent between processes).
 */
export interface ProtonationPlan {
  ph: number;
  /** Residues of the structure it was decided on. */
  residueCount: number;
  protein: ResidueProtonation[];
  histidines: HistidineChoice[];
  disulfides: number;
  terminalKept: number;
}

export interface HistidineChoice {
  chainId: string;
  resSeq: number;
  iCode: string;
  state: 'HSD' | 'HSE' | 'HSP';
  /** What decided it: the residue's own name, the pH, the hydrogen-bond network, or nothing (HSE, the common tautomer). */
  reason: 'name' | 'pH' | 'hydrogen bonds' | 'default';
}

export interface HydrogenReport {
  /** Whether hydrogens were asked for (false: names and OXT only). */
  hydrogens: boolean;
  /** Hydrogens written. */
  added: number;
  naming: ForceFieldNaming;
  ph: number;
  /** Protein residues treated. */
  residues: number;
  /** Lipid and sterol residues given hydrogens (CHARMM36 names). */
  lipids: number;
  /** Residues given hydrogens from their model card's templates (the pipeline's `hydrogenStep`, after this step). */
  templated: number;
  /** Water molecules named for the force field (and given two hydrogens each when hydrogens are added). */
  waters: number;
  /** Whether the decisions came from a plan made before (a trajectory's first frame), not from this structure. */
  fromPlan: boolean;
  histidines: HistidineChoice[];
  /** S–S bonds found (SG–SG < 2.5 Å). */
  disulfides: number;
  /** Residues in a state other than the parent's usual one at pH 7 (ASPP, GLUP, LSN, HSP, CYM…), by CHARMM name. */
  states: Record<string, number>;
  termini: { n: number; c: number };
  /** OXT placed on C-termini that lacked it. */
  oxtAdded: number;
  /** Hydrogens the input already had on protein residues, and on lipids and sterols when hydrogens are added (removed and rebuilt). */
  replaced: number;
  /** Hydrogens not placed because a heavy atom they are built from is missing or not finite. */
  missing: number;
  /** Terminal ASP/GLU/LYS the pH would have (de)protonated, kept in their usual state (no terminal building block). */
  terminalKept: number;
  /** Rotatable groups (OH, SH, NH3+, CH3…) left within 2.0 Å of another atom (no position tried was clear, or a
   *  CH3/NH3+ contact too mild to pay for turning it off staggered). */
  contacts: number;
  /** Waters whose hydrogens found no orientation clear of every other atom (placed at the least crowded one tried). */
  waterContacts: number;
  /** Residue names that look like amino acids but have no hydrogen table (e.g. MSE), passed through unchanged. */
  untreated: string[];
}

/** Turns off staggered tried for NH2/NH3+/CH3 groups (degrees; 0 first, so staggered wins every tie). */
const ROTOR_OFFSETS = [0, 20, -20, 40, -40, 60] as const;
/**
 * Cost of an eclipsed CH3/NH3+ in the units of the overlap score (Σ(2 Å − d)², Å²): turning by 20° (a quarter of the
 * barrier) must remove more than (0.2 Å)² of overlap.
 */
const ROTOR_BARRIER = 0.16;

/** How a rotor position touches its surroundings: contacts, hydrogen bonds made, Σ(cutoff − d)² over contacts. */
interface Score {
  contacts: number;
  hbond: number;
  depth: number;
}

/** Peptide bond C(i)–N(i+1) longer than this is a chain break (both sides become termini)… */
const PEPTIDE_MAX = 2.0;
/**
 * …unless the residues are numbered in sequence and C–N is under this: a stretched bond of a rough backmap (the
 * template's) is still one chain, as `gmx pdb2gmx` links it, not a break with an OXT in mid-chain.
 */
const STRETCHED_PEPTIDE_MAX = 4.0;
/** SG–SG closer than this is a disulfide. */
const DISULFIDE_MAX = 2.5;
/** A placed hydrogen closer than this to another atom is a contact (polar H to an acceptor: CONTACT_POLAR). */
const CONTACT = 2.0;
const CONTACT_POLAR = 1.5;
/** H···acceptor distance of a hydrogen bond, and the smallest X–H···A angle. */
const HBOND_MAX = 2.6;
const HBOND_MIN_ANGLE = 120;
/** Donor/acceptor partners of a histidine ring N: heavy atoms this close, within HIS_CONE of the ring's exterior bisector. */
const HIS_PARTNER = 3.5;
const HIS_CONE = 50;
/** Acceptors a water's hydrogens are turned toward: O and N within this of its oxygen (at most WATER_PARTNERS_TRIED, nearest first). */
const WATER_PARTNER = 3.5;
const WATER_PARTNERS_TRIED = 6;
/** Turns of H2 about O–H1 tried (degrees), and the fixed O–H1 directions tried when no acceptor-facing one is clear. */
const WATER_ROLLS = [0, 60, 120, 180, 240, 300] as const;
const WATER_AXES: readonly Vec3[] = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]];
/** What a hydrogen bond is worth against overlap (Å², as `Score.depth`): a bond wins only among near-equal overlaps. */
const WATER_HBOND_BONUS = 0.05;

/**
 * Uniform grid over a box that points can be added to: per cell a linked list in typed arrays (a hash map of cells
 * keyed by packed indices cost 2 s on a 9,000-water bilayer). Points outside the box go to the edge cells (cell
 * indices clamped), which keeps every pair within r in neighbouring cells, so queries stay exact.
 */
class PointHash {
  private xyz = new Float64Array(3 * 1024);
  private next = new Int32Array(1024);
  private size = 0;
  private readonly head: Int32Array;
  private readonly inv: number;
  private readonly lo: Vec3;
  private readonly dims: [number, number, number];
  /** `cell`: the grid's cell edge (Å); `lo`/`hi`: the box most points fall in. */
  constructor(cell: number, lo: Vec3, hi: Vec3) {
    this.inv = 1 / cell;
    this.lo = lo;
    // At most ~4M cells: a sparse, huge box gets coarser cells rather than a huge array.
    let dims = [0, 1, 2].map((k) => Math.max(1, Math.ceil((hi[k] - lo[k]) * this.inv) + 1));
    while (dims[0] * dims[1] * dims[2] > 4_000_000) {
      this.inv /= 2;
      dims = [0, 1, 2].map((k) => Math.max(1, Math.ceil((hi[k] - lo[k]) * this.inv) + 1));
    }
    this.dims = dims as [number, number, number];
    this.head = new Int32Array(dims[0] * dims[1] * dims[2]).fill(-1);
  }
  private cellIndex(v: number, k: number): number {
    const c = Math.floor((v - this.lo[k]) * this.inv);
    return c < 0 ? 0 : c >= this.dims[k] ? this.dims[k] - 1 : c;
  }
  add(p: ArrayLike<number>): number {
    const id = this.size++;
    if (3 * this.size > this.xyz.length) {
      const x = new Float64Array(this.xyz.length * 2);
      x.set(this.xyz);
      this.xyz = x;
      const n = new Int32Array(this.next.length * 2);
      n.set(this.next);
      this.next = n;
    }
    this.xyz[3 * id] = p[0];
    this.xyz[3 * id + 1] = p[1];
    this.xyz[3 * id + 2] = p[2];
    const c = (this.cellIndex(p[0], 0) * this.dims[1] + this.cellIndex(p[1], 1)) * this.dims[2] + this.cellIndex(p[2], 2);
    this.next[id] = this.head[c];
    this.head[c] = id;
    return id;
  }
  /** fn(id, distance) for every point within r of p. */
  near(p: ArrayLike<number>, r: number, fn: (id: number, d: number) => void): void {
    const span = Math.max(1, Math.ceil(r * this.inv));
    const [nx, ny, nz] = this.dims;
    const cx = this.cellIndex(p[0], 0), cy = this.cellIndex(p[1], 1), cz = this.cellIndex(p[2], 2);
    const r2 = r * r, x = this.xyz, next = this.next, head = this.head;
    for (let ix = Math.max(0, cx - span); ix <= Math.min(nx - 1, cx + span); ix++)
      for (let iy = Math.max(0, cy - span); iy <= Math.min(ny - 1, cy + span); iy++) {
        const row = (ix * ny + iy) * nz;
        for (let iz = Math.max(0, cz - span); iz <= Math.min(nz - 1, cz + span); iz++)
          for (let id = head[row + iz]; id >= 0; id = next[id]) {
            const ex = x[3 * id] - p[0], ey = x[3 * id + 1] - p[1], ez = x[3 * id + 2] - p[2];
            const d2 = ex * ex + ey * ey + ez * ez;
            if (d2 < r2) fn(id, Math.sqrt(d2));
          }
      }
  }
  at(id: number): Vec3 {
    return [this.xyz[3 * id], this.xyz[3 * id + 1], this.xyz[3 * id + 2]];
  }
}

/** A residue that hydrogens are placed on. */
interface Carrier {
  res: Residue;
  /** Canonical heavy-atom name → atom index (first occurrence, finite coordinates only). */
  atoms: Map<string, number>;
  /** C of the previous residue when peptide-bonded to this N (-1: none). */
  prevC: number;
  /** Placed hydrogens: canonical name → position, in topology order. */
  h: Map<string, Vec3>;
}

/** A protein residue being prepared. */
interface ProteinResidue extends Carrier {
  parent: string;
  state: ProtonationState;
  nTerminal: boolean;
  cTerminal: boolean;
  oxt: Vec3 | null;
}

/** A lipid or sterol of the chemistry table, placed from its plan. */
interface TemplatedResidue extends Carrier {
  plan: LipidHydrogenPlan;
}

/** A water molecule: its oxygen, and its two hydrogens once placed. */
interface WaterResidue {
  res: Residue;
  oxygen: number;
  h: Vec3[] | null;
}

type Role = 'donor' | 'acceptor' | 'both' | null;

/** Hydrogen-bond role of a heavy atom, for the histidine analysis (weights: donor/acceptor 1, both 0.5 each). */
function roleOf(parent: string | undefined, state: ProtonationState | undefined, name: string, element: string): Role {
  if (parent) {
    if (name === 'O' || name === 'OXT') return 'acceptor';
    if (name === 'N') return parent === 'PRO' ? null : 'donor';
    switch (`${parent}.${name}`) {
      case 'ASP.OD1': case 'ASP.OD2': return state === 'ASPP' ? 'both' : 'acceptor';
      case 'GLU.OE1': case 'GLU.OE2': return state === 'GLUP' ? 'both' : 'acceptor';
      case 'ASN.OD1': case 'GLN.OE1': return 'acceptor';
      case 'ASN.ND2': case 'GLN.NE2': case 'ARG.NE': case 'ARG.NH1': case 'ARG.NH2': case 'TRP.NE1': return 'donor';
      case 'LYS.NZ': return state === 'LSN' ? 'both' : 'donor';
      case 'SER.OG': case 'THR.OG1': case 'TYR.OH': case 'HIS.ND1': case 'HIS.NE2': return 'both';
      default: return null;
    }
  }
  // water, ligands: O and N may do either
  return element === 'O' || element === 'N' ? 'both' : null;
}

/**
 * The protonation decisions for `s` at `opts.ph` (protonation states, HIS tautomers, disulfides, termini) without
 * placing anything: what `addHydrogens(s, opts)` decides, as a plan to apply to other frames of the same system.
 */
export function decideProtonation(s: Structure, opts: Pick<HydrogenOptions, 'ph'> = {}): ProtonationPlan {
  return prepareHydrogens(s, { ph: opts.ph }, true).plan;
}

/**
 * Adds the hydrogens of every protein residue (lipid, sterol, water) and names residues and
 * atoms for a force field (see the module comment). Returns a new structure (`s` is not changed), the report and
 * the decisions made (or `opts.plan`, applied).
 */
export function addHydrogens(s: Structure, opts: HydrogenOptions = {}): { structure: Structure; report: HydrogenReport; plan: ProtonationPlan } {
  const r = prepareHydrogens(s, opts, false);
  return { structure: r.structure!, report: r.report, plan: r.plan };
}

function prepareHydrogens(s: Structure, opts: HydrogenOptions, decideOnly: boolean): { structure?: Structure; report: HydrogenReport; plan: ProtonationPlan } {
  const given = opts.plan;
  const withH = !decideOnly && (opts.hydrogens ?? true);
  const ph = given ? given.ph : (opts.ph ?? 7);
  if (typeof ph !== 'number' || !Number.isFinite(ph) || ph < 0 || ph > 14) throw new UsageError(`pH must be a number from 0 to 14, got ${given ? given.ph : opts.ph}`);
  const naming = opts.names ?? 'charmm';
  if (!FORCE_FIELD_NAMINGS.includes(naming)) throw new UsageError(`names must be one of ${FORCE_FIELD_NAMINGS.join(', ')}, got '${naming}'`);
  const a = s.atoms;
  const c = s.coords;
  const elementOf = (i: number) => (a.element[i] || guessElement(a.name[i], a.resName[i])).toUpperCase();
  const finite = (i: number) => Number.isFinite(c[3 * i]) && Number.isFinite(c[3 * i + 1]) && Number.isFinite(c[3 * i + 2]);
  const xyz = (i: number): Vec3 => [c[3 * i], c[3 * i + 1], c[3 * i + 2]];
  const residues = residuesOf(a);
  const report: HydrogenReport = {
    hydrogens: withH, added: 0, naming, ph, residues: 0, lipids: 0, templated: 0, waters: 0, fromPlan: !!given, histidines: [], disulfides: 0, states: {}, termini: { n: 0, c: 0 }, oxtAdded: 0, replaced: 0, missing: 0, terminalKept: 0, contacts: 0, waterContacts: 0, untreated: [],
  };
  const untreated = new Set<string>();

  // Protein residues and their heavy atoms under canonical names.
  const protein: (ProteinResidue | null)[] = residues.map((res) => {
    const parent = protonationParent(res.resName);
    if (!parent) {
      if (residueVariant(res.resName)?.kind === 'modified') untreated.add(res.resName);
      return null;
    }
    const atoms = new Map<string, number>();
    for (let i = res.start; i < res.end; i++) {
      if (elementOf(i) === 'H' || elementOf(i) === 'D') {
        report.replaced++;
        continue;
      }
      const name = engineHeavyName(parent, a.name[i]);
      if (!atoms.has(name) && finite(i)) atoms.set(name, i);
    }
    const explicit = EXPLICIT_STATES[res.resName];
    const state = explicit && stateParent(explicit) === parent ? explicit : (parent as ProtonationState);
    return { res, parent, state, atoms, nTerminal: false, cTerminal: false, prevC: -1, oxt: null, h: new Map() };
  });
  report.untreated = [...untreated];
  if (given) applyPlan(given);

  /** The plan's decisions on this structure's residues (refused when they are not the residues it was made on). */
  function applyPlan(plan: ProtonationPlan): void {
    const mine = protein.filter((p) => p).length;
    const other = () => new UsageError(`the protonation plan was decided on another structure (${plan.residueCount} residues, ${plan.protein.length} amino acids; this one has ${residues.length} and ${mine})`);
    if (plan.residueCount !== residues.length || plan.protein.length !== mine) throw other();
    for (const d of plan.protein) {
      const p = protein[d.residue];
      if (!p || p.res.resName !== d.resName || stateParent(d.state) !== p.parent) throw other();
      p.state = d.state;
      p.nTerminal = d.nTerminal;
      p.cTerminal = d.cTerminal;
    }
  }

  // Lipids and sterols placed from their plans, when hydrogens are asked for (without, they pass through as they
  // are: no names to change).
  const lipids: (TemplatedResidue | null)[] = residues.map((res, k) => {
    if (!withH || protein[k] || isWaterResidue(res.resName)) return null;
    const plan = lipidHydrogenPlan(res.resName);
    if (!plan) return null;
    report.lipids++;
    const heavyNames = new Set(plan.heavy);
    const atoms = new Map<string, number>();
    for (let i = res.start; i < res.end; i++) {
      if (elementOf(i) === 'H' || elementOf(i) === 'D') report.replaced++;
      else if (heavyNames.has(a.name[i]) && !atoms.has(a.name[i]) && finite(i)) atoms.set(a.name[i], i);
    }
    return { res, plan, atoms, prevC: -1, h: new Map() };
  });

  // Waters with an oxygen: renamed for the force field, their hydrogens rebuilt (input ones dropped).
  const waters: (WaterResidue | null)[] = residues.map((res) => {
    if (!isWaterResidue(res.resName)) return null;
    let oxygen = -1;
    let others = 0;
    for (let i = res.start; i < res.end; i++) {
      const e = elementOf(i);
      if (e === 'H' || e === 'D') continue;
      if (oxygen < 0 && e === 'O' && WATER_OXYGEN_NAMES.has(a.name[i]) && finite(i)) oxygen = i;
      else others++;
    }
    // TIP4P/TIP5P virtual sites and odd waters pass through unchanged
    if (oxygen < 0 || others > 0) return null;
    for (let i = res.start; i < res.end; i++) if (elementOf(i) === 'H' || elementOf(i) === 'D') report.replaced++;
    report.waters++;
    return { res, oxygen, h: null };
  });

  // Peptide bonds: a residue whose N is within PEPTIDE_MAX of the previous residue's C (same chain; STRETCHED_PEPTIDE_MAX
  // when numbered in sequence) continues the chain.
  const atomOf = (res: Residue, name: string): number => {
    for (let i = res.start; i < res.end; i++) if (a.name[i] === name && finite(i)) return i;
    return -1;
  };
  const inSequence = (r: Residue, next: Residue) => next.resSeq === r.resSeq + 1 || (next.resSeq === r.resSeq && next.iCode !== r.iCode);
  const bonded = (ci: number, ni: number, sequential: boolean) => {
    if (ci < 0 || ni < 0) return false;
    const d = Math.sqrt((c[3 * ci] - c[3 * ni]) ** 2 + (c[3 * ci + 1] - c[3 * ni + 1]) ** 2 + (c[3 * ci + 2] - c[3 * ni + 2]) ** 2);
    return d < PEPTIDE_MAX || (sequential && d < STRETCHED_PEPTIDE_MAX);
  };
  residues.forEach((res, k) => {
    const p = protein[k];
    if (!p) return;
    const n = p.atoms.get('N') ?? -1;
    const prev = k > 0 && residues[k - 1].chainId === res.chainId ? residues[k - 1] : null;
    const prevC = prev ? (protein[k - 1]?.atoms.get('C') ?? atomOf(prev, 'C')) : -1;
    if (given) {
      // the plan's termini: a residue that continued its chain there continues it here, whatever this frame's C–N
      if (!p.nTerminal && n >= 0 && prevC >= 0) p.prevC = prevC;
      return;
    }
    if (n >= 0 && bonded(prevC, n, !!prev && inSequence(prev, res))) p.prevC = prevC;
    else p.nTerminal = n >= 0;
    const cc = p.atoms.get('C') ?? -1;
    const next = k + 1 < residues.length && residues[k + 1].chainId === res.chainId ? residues[k + 1] : null;
    const nextN = next ? (protein[k + 1]?.atoms.get('N') ?? atomOf(next, 'N')) : -1;
    p.cTerminal = cc >= 0 && !bonded(cc, nextN, !!next && inSequence(res, next));
  });

  // Heavy atoms of the whole structure, for contacts and hydrogen-bond partners; OXT joins when placed.
  const lo: Vec3 = [Infinity, Infinity, Infinity], hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < a.count; i++)
    if (finite(i))
      for (let k = 0; k < 3; k++) {
        lo[k] = Math.min(lo[k], c[3 * i + k]);
        hi[k] = Math.max(hi[k], c[3 * i + k]);
      }
  if (!(lo[0] <= hi[0])) {
    lo.fill(0);
    hi.fill(0);
  }
  // Cells of the largest radius asked in the scoring (hydrogen bonds and contacts), not HIS_PARTNER: fewer points
  // checked per query.
  const cell = Math.max(CONTACT, HBOND_MAX);
  const heavy = new PointHash(cell, lo, hi);
  const heavyAtom: number[] = []; // hash id → atom index (-1: an added OXT)
  const heavyResidue: number[] = [];
  const heavyElement: string[] = [];
  residues.forEach((res, k) => {
    for (let i = res.start; i < res.end; i++) {
      const e = elementOf(i);
      if (e === 'H' || e === 'D' || !finite(i)) continue;
      heavy.add(xyz(i));
      heavyAtom.push(i);
      heavyResidue.push(k);
      heavyElement.push(e);
    }
  });

  // OXT on C-termini that lack it, in the carboxylate plane opposite O.
  protein.forEach((p, k) => {
    if (!p?.cTerminal || p.atoms.has('OXT')) return;
    const ca = p.atoms.get('CA'), cc = p.atoms.get('C'), o = p.atoms.get('O');
    if (ca === undefined || cc === undefined || o === undefined) return;
    p.oxt = placeAtom(xyz(o), xyz(ca), xyz(cc), OXT_BOND, OXT_ANGLE, 180);
    heavy.add(p.oxt);
    heavyAtom.push(-1);
    heavyResidue.push(k);
    heavyElement.push('O');
    report.oxtAdded++;
  });

  if (given) {
    report.histidines = given.histidines.map((h) => ({ ...h }));
    report.disulfides = given.disulfides;
    report.terminalKept = given.terminalKept;
  } else decide();

  /** Disulfides, the pH's states and HIS tautomers of this structure (the termini are set above). */
  function decide(): void {
    // Disulfides: SG–SG pairs closer than DISULFIDE_MAX; a plain CYS in one becomes CYX.
    const sgOf = (p: ProteinResidue | null) => (p && p.parent === 'CYS' && p.state !== 'CYM' ? p.atoms.get('SG') : undefined);
    const bridged = new Set<number>();
    protein.forEach((p, k) => {
      const sg = sgOf(p);
      if (sg === undefined) return;
      heavy.near(xyz(sg), DISULFIDE_MAX, (id) => {
        const j = heavyAtom[id], r = heavyResidue[id];
        if (r === k || j < 0 || a.name[j] !== 'SG' || sgOf(protein[r]) !== j) return;
        if (r > k) report.disulfides++;
        bridged.add(k);
        bridged.add(r);
      });
    });
    for (const k of bridged) if (protein[k]!.state === 'CYS') protein[k]!.state = 'CYX';

    // pH: carboxylic acids below their pKa, neutral amines above; not on a terminal residue, which the AMBER and OPLS
    // ports cannot build protonated (pdb2gmx: "no residue type for 'ASH' as a starting terminus").
    for (const p of protein) {
      if (!p || EXPLICIT_STATES[p.res.resName]) continue;
      if (p.nTerminal || p.cTerminal) {
        if ((p.parent === 'ASP' && ph < PKA.ASP) || (p.parent === 'GLU' && ph < PKA.GLU) || (p.parent === 'LYS' && ph >= PKA.LYS)) report.terminalKept++;
        continue;
      }
      if (p.parent === 'ASP' && ph < PKA.ASP) p.state = 'ASPP';
      else if (p.parent === 'GLU' && ph < PKA.GLU) p.state = 'GLUP';
      else if (p.parent === 'LYS' && ph >= PKA.LYS) p.state = 'LSN';
    }

    // Histidine tautomers: which ring N has acceptors to donate to and donors to accept from.
    protein.forEach((p, k) => {
      if (!p || p.parent !== 'HIS') return;
      const explicit = EXPLICIT_STATES[p.res.resName];
      let reason: HistidineChoice['reason'];
      if (explicit) reason = 'name';
      else if (ph < PKA.HIS) {
        p.state = 'HSP';
        reason = 'pH';
      } else {
        const d = ringPartners(p, 'ND1', 'CG', 'CE1', k), e = ringPartners(p, 'NE2', 'CE1', 'CD2', k);
        const forD = d.acceptors + e.donors, forE = e.acceptors + d.donors;
        // both N facing acceptors and no donor: both carry H; otherwise the better-bonded tautomer, HSE on a tie
        if (d.acceptors >= 1 && e.acceptors >= 1 && d.donors === 0 && e.donors === 0) p.state = 'HSP';
        else p.state = forD > forE ? 'HSD' : 'HSE';
        reason = p.state === 'HSP' || forD !== forE ? 'hydrogen bonds' : 'default';
      }
      const r = p.res;
      report.histidines.push({ chainId: r.chainId, resSeq: r.resSeq, iCode: r.iCode, state: p.state as HistidineChoice['state'], reason });
    });
  }

  const plan: ProtonationPlan = {
    ph,
    residueCount: residues.length,
    protein: protein.flatMap((p, k) => (p ? [{ residue: k, resName: p.res.resName, state: p.state, nTerminal: p.nTerminal, cTerminal: p.cTerminal }] : [])),
    histidines: report.histidines.map((h) => ({ ...h })),
    disulfides: report.disulfides,
    terminalKept: report.terminalKept,
  };
  if (decideOnly) return { report, plan };

  function ringPartners(p: ProteinResidue, n: string, x: string, y: string, k: number): { donors: number; acceptors: number } {
    const ni = p.atoms.get(n), xi = p.atoms.get(x), yi = p.atoms.get(y);
    const out = { donors: 0, acceptors: 0 };
    if (ni === undefined || xi === undefined || yi === undefined) return out;
    const pn = xyz(ni);
    // the exterior bisector: where the N–H (or the lone pair) points
    const dir = normalize(add(normalize(sub(pn, xyz(xi))), normalize(sub(pn, xyz(yi)))));
    const cone = Math.cos((HIS_CONE * Math.PI) / 180);
    heavy.near(pn, HIS_PARTNER, (id, dist) => {
      if (heavyResidue[id] === k || dist < 2.4) return;
      const v = sub(heavy.at(id), pn);
      if (dot(v, dir) / dist < cone) return;
      const j = heavyAtom[id];
      const q = protein[heavyResidue[id]];
      const name = j < 0 ? 'OXT' : q ? engineHeavyName(q.parent, a.name[j]) : a.name[j];
      const role = roleOf(q?.parent, q?.state, name, heavyElement[id]);
      if (role === 'acceptor') out.acceptors += 1;
      else if (role === 'donor') out.donors += 1;
      else if (role === 'both') {
        out.acceptors += 0.5;
        out.donors += 0.5;
      }
    });
    return out;
  }

  // Hydrogens: fixed ones first (every residue), then rotatable groups, each against everything placed before it.
  const hydrogens = new PointHash(cell, lo, hi);
  const hCarrier: number[] = [];
  const pending: { p: Carrier; g: HydrogenGroup }[] = [];
  const groupsOf = (p: ProteinResidue): readonly HydrogenGroup[] => {
    const groups = hydrogenGroups(p.state);
    if (!p.nTerminal) return groups;
    return p.parent === 'PRO' ? [N_TERMINAL_PRO, ...groups] : [N_TERMINAL, ...groups.slice(1)];
  };
  report.residues = protein.filter((p) => p).length;
  if (withH) {
    // fixed hydrogens of a residue now, its rotors queued
    const placeGroups = (p: Carrier, groups: readonly HydrogenGroup[]) => {
      for (const g of groups) {
        if (g.geometry === 'rotor') {
          pending.push({ p, g });
          continue;
        }
        const pos = placeFixed(p, g);
        if (!pos) {
          report.missing += g.names.length;
          continue;
        }
        g.names.forEach((name, m) => {
          p.h.set(name, pos[m]);
          hydrogens.add(pos[m]);
          hCarrier.push(p.atoms.get(g.on)!);
        });
      }
    };
    for (const p of protein) if (p) placeGroups(p, groupsOf(p));
    // lipids after every protein hydrogen that does not turn, their rotors after the protein's
    for (const l of lipids) if (l) placeGroups(l, l.plan.groups);
    for (const { p, g } of pending) {
      const cands = rotorCandidates(p, g);
      if (!cands) {
        report.missing += g.names.length;
        continue;
      }
      const carrier = p.atoms.get(g.on)!;
      const scores = cands.map((set) => set.map((h) => score(h, carrier, g.polar ?? false)).reduce((x, y) => ({ contacts: x.contacts + y.contacts, hbond: x.hbond + y.hbond, depth: x.depth + y.depth })));
      let best = 0;
      if (g.names.length === 1) {
        // one H, every candidate staggered: fewest contacts, then a hydrogen bond, then the shallowest overlap
        scores.forEach((sc, m) => {
          const b = scores[best];
          if (sc.contacts < b.contacts || (sc.contacts === b.contacts && (sc.hbond > b.hbond || (sc.hbond === b.hbond && sc.depth < b.depth - 1e-9)))) best = m;
        });
      } else {
        // a turned CH3/NH3+ pays its threefold torsion barrier: turn only where that removes more overlap than it costs
        const cost = (m: number) => scores[m].depth + (ROTOR_BARRIER * (1 - Math.cos((3 * ROTOR_OFFSETS[m] * Math.PI) / 180))) / 2 - 0.01 * scores[m].hbond;
        scores.forEach((_, m) => {
          if (cost(m) < cost(best) - 1e-9) best = m;
        });
      }
      if (scores[best].contacts > 0) report.contacts++;
      cands[best].forEach((h, m) => {
        p.h.set(g.names[m], h);
        hydrogens.add(h);
        hCarrier.push(carrier);
      });
    }
    // waters last, in input order, each against every hydrogen placed before it
    for (const w of waters) if (w) placeWater(w);
  }

  /**
   * A water's two hydrogens on TIP3P geometry (O–H 0.9572 Å, H–O–H 104.52°), turned to donate hydrogen bonds: H1
   * toward each O or N within WATER_PARTNER of the oxygen (nearest first) with H2 toward another of them or turned
   * about O–H1 in 60° steps; when none of those is clear, also a fixed set of orientations. The pair with the lowest
   * cost wins: overlap depth (Σ (cut − d)² over contacts) less WATER_HBOND_BONUS per hydrogen bond, the first on a
   * tie, so the result depends only on the coordinates.
   */
  function placeWater(w: WaterResidue): void {
    const o = xyz(w.oxygen);
    const partners: { d: number; id: number; u: Vec3 }[] = [];
    heavy.near(o, WATER_PARTNER, (id, d) => {
      const e = heavyElement[id];
      if (heavyAtom[id] === w.oxygen || d < 2.0 || (e !== 'O' && e !== 'N')) return;
      partners.push({ d, id, u: normalize(sub(heavy.at(id), o)) });
    });
    // nearest first; equal distances (a bead's four waters sit on a regular tetrahedron) in input order
    partners.sort((x, y) => x.d - y.d || x.id - y.id);
    const near = partners.slice(0, WATER_PARTNERS_TRIED).map((q) => q.u);
    const theta = (TIP3P.angle * Math.PI) / 180;
    // H1 along d1 is shared by every candidate built on d1 (one array per d1, so its score is computed once).
    const h1Of = new Map<Vec3, Vec3>();
    const at = (d1: Vec3, e: Vec3): Vec3[] => {
      let h1 = h1Of.get(d1);
      if (!h1) h1Of.set(d1, (h1 = [o[0] + TIP3P.bond * d1[0], o[1] + TIP3P.bond * d1[1], o[2] + TIP3P.bond * d1[2]]));
      const u: Vec3 = [Math.cos(theta) * d1[0] + Math.sin(theta) * e[0], Math.cos(theta) * d1[1] + Math.sin(theta) * e[1], Math.cos(theta) * d1[2] + Math.sin(theta) * e[2]];
      return [h1, [o[0] + TIP3P.bond * u[0], o[1] + TIP3P.bond * u[1], o[2] + TIP3P.bond * u[2]]];
    };
    // unit vector ⊥ d1 toward v (null when v is along d1)
    const perp = (d1: Vec3, v: Vec3): Vec3 | null => {
      const x = sub(v, [d1[0] * dot(v, d1), d1[1] * dot(v, d1), d1[2] * dot(v, d1)]);
      return Math.hypot(x[0], x[1], x[2]) < 1e-3 ? null : normalize(x);
    };
    const rolls = (d1: Vec3): Vec3[][] => {
      const e0 = perp(d1, Math.abs(d1[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0])!;
      const e1 = cross(d1, e0);
      return WATER_ROLLS.map((r) => {
        const t = (r * Math.PI) / 180;
        return at(d1, [Math.cos(t) * e0[0] + Math.sin(t) * e1[0], Math.cos(t) * e0[1] + Math.sin(t) * e1[1], Math.cos(t) * e0[2] + Math.sin(t) * e1[2]]);
      });
    };
    const toward: Vec3[][] = [];
    near.forEach((d1, i) => {
      near.forEach((v, j) => {
        const e = j === i ? null : perp(d1, v);
        if (e) toward.push(at(d1, e));
      });
      toward.push(...rolls(d1));
    });
    // the shallowest overlap wins (one deep contact is worse than two grazing ones), a hydrogen bond breaks near-ties
    const cost = (sc: Score) => sc.depth - WATER_HBOND_BONUS * sc.hbond;
    // Every candidate hydrogen lies TIP3P.bond from the oxygen: what any of them can touch, gathered once.
    const around = neighbourhood(w.oxygen, o, TIP3P.bond, true);
    const h1Scores = new Map<Vec3, Score>();
    const pick = (cands: Vec3[][]): { set: Vec3[]; sc: Score } | null => {
      let best: { set: Vec3[]; sc: Score } | null = null;
      for (const set of cands) {
        let x = h1Scores.get(set[0]);
        if (!x) h1Scores.set(set[0], (x = around.score(set[0])));
        // The second hydrogen can lower the cost by at most one bond's bonus: skip it when that cannot win.
        if (best && cost(x) - WATER_HBOND_BONUS >= cost(best.sc) - 1e-9) continue;
        const y = around.score(set[1]);
        const sc = { contacts: x.contacts + y.contacts, hbond: x.hbond + y.hbond, depth: x.depth + y.depth };
        if (!best || cost(sc) < cost(best.sc) - 1e-9) best = { set, sc };
        // Two hydrogen bonds and no overlap: no candidate can do better.
        if (cost(best.sc) <= -2 * WATER_HBOND_BONUS) break;
      }
      return best;
    };
    let best = pick(toward);
    if (!best || best.sc.contacts > 0) {
      const fixed = pick(WATER_AXES.flatMap((d1) => rolls(d1)))!;
      if (!best || cost(fixed.sc) < cost(best.sc) - 1e-9) best = fixed;
    }
    if (best.sc.contacts > 0) report.waterContacts++;
    w.h = best.set;
    for (const h of best.set) {
      hydrogens.add(h);
      hCarrier.push(w.oxygen);
    }
  }

  /** Positions of a group's hydrogens (null when an atom they are built from is missing). */
  function placeFixed(p: Carrier, g: HydrogenGroup): Vec3[] | null {
    const on = p.atoms.get(g.on);
    const from = g.from.map((f) => (f === '-C' ? (p.prevC >= 0 ? p.prevC : undefined) : p.atoms.get(f)));
    if (on === undefined || from.some((f) => f === undefined)) return null;
    const o = xyz(on);
    const f = (from as number[]).map(xyz);
    if (g.geometry === 'planar' && g.names.length === 2)
      return [placeAtom(f[1], f[0], o, g.bond, g.angle, 0), placeAtom(f[1], f[0], o, g.bond, g.angle, 180)];
    const u = f.map((q) => normalize(sub(q, o)));
    if (g.names.length === 1) {
      let d: Vec3;
      if (u.length === 3) {
        // sp3 with three neighbours: the direction at equal angles to all three (the normal of the plane through the
        // bond vectors' tips), away from them; -Σu on tetrahedral geometry, and PRO's tight N-CA-CB (103°) does not
        // push one H–C–X angle 5° below the others
        const n = [cross(u[0], u[1]), cross(u[1], u[2]), cross(u[2], u[0])].reduce((m, v) => [m[0] + v[0], m[1] + v[1], m[2] + v[2]] as Vec3);
        d = dot(n, u[0]) > 0 ? [-n[0], -n[1], -n[2]] : n;
      } else d = [-(u[0][0] + u[1][0]), -(u[0][1] + u[1][1]), -(u[0][2] + u[1][2])]; // sp2: exterior bisector
      const n = normalize(d);
      return [[o[0] + g.bond * n[0], o[1] + g.bond * n[1], o[2] + g.bond * n[2]]];
    }
    // two H on an sp3 centre with two neighbours: symmetric about their plane, names[0] at +120° from f[1] about f[0]→on
    const bis = normalize([-(u[0][0] + u[1][0]), -(u[0][1] + u[1][1]), -(u[0][2] + u[1][2])]);
    const nrm = normalize(cross(u[0], u[1]));
    const half = ((g.angle / 2) * Math.PI) / 180;
    const cs = Math.cos(half) * g.bond, sn = Math.sin(half) * g.bond;
    const h1: Vec3 = [o[0] + cs * bis[0] + sn * nrm[0], o[1] + cs * bis[1] + sn * nrm[1], o[2] + cs * bis[2] + sn * nrm[2]];
    const h2: Vec3 = [o[0] + cs * bis[0] - sn * nrm[0], o[1] + cs * bis[1] - sn * nrm[1], o[2] + cs * bis[2] - sn * nrm[2]];
    return dihedral(f[1], f[0], o, h1) > 0 ? [h1, h2] : [h2, h1];
  }

  /**
   * Candidate positions of a rotor's hydrogens: one H at each of its torsions; two or three H staggered
   * (torsions[0] + 120°·k), and that set turned off staggered by ±20°, ±40° and 60°.
   */
  function rotorCandidates(p: Carrier, g: HydrogenGroup): Vec3[][] | null {
    const on = p.atoms.get(g.on), nb = p.atoms.get(g.from[0]), ref = p.atoms.get(g.from[1]);
    if (on === undefined || nb === undefined || ref === undefined) return null;
    const [o, n, r] = [xyz(on), xyz(nb), xyz(ref)];
    const torsions = g.torsions ?? [180];
    if (g.names.length === 1) return torsions.map((t) => [placeAtom(r, n, o, g.bond, g.angle, t)]);
    return ROTOR_OFFSETS.map((d) => g.names.map((_, m) => placeAtom(r, n, o, g.bond, g.angle, torsions[0] + d + 120 * m)));
  }

  /**
   * Contacts of a candidate hydrogen: heavy atoms within CONTACT Å (polar H: O/N acceptors only within CONTACT_POLAR),
   * other than its carrier and atoms bonded to it (within 2 Å of the carrier), and hydrogens on other atoms within
   * CONTACT Å; and whether it makes a hydrogen bond (polar H to O/N, H···A ≤ HBOND_MAX, X–H···A ≥ HBOND_MIN_ANGLE).
   */
  function score(h: Vec3, carrier: number, polar: boolean): Score {
    return neighbourhood(carrier, h, 0, polar).score(h);
  }

  /**
   * `score` for hydrogens on `carrier` within `reach` Å of `at`, over the atoms any of them can touch, gathered once
   * into flat arrays: a water tries up to 66 orientations (reach = its O–H bond), and closures and small arrays per
   * try made hydrogens the slowest step of a membrane system.
   */
  function neighbourhood(carrier: number, at: Vec3, reach: number, polar: boolean): { score(h: Vec3): Score } {
    const R = Math.max(CONTACT, HBOND_MAX);
    const pc = xyz(carrier);
    const hv: number[] = []; // x, y, z, acceptor (1/0) per heavy atom that counts
    heavy.near(at, reach + R + 1e-6, (id) => {
      const q = heavy.at(id);
      if (heavyAtom[id] === carrier || Math.hypot(q[0] - pc[0], q[1] - pc[1], q[2] - pc[2]) < 2.0) return;
      hv.push(q[0], q[1], q[2], polar && (heavyElement[id] === 'O' || heavyElement[id] === 'N') ? 1 : 0);
    });
    const hh: number[] = []; // x, y, z per hydrogen of another carrier
    hydrogens.near(at, reach + CONTACT + 1e-6, (id) => {
      if (hCarrier[id] === carrier) return;
      const q = hydrogens.at(id);
      hh.push(q[0], q[1], q[2]);
    });
    const cosMin = Math.cos((HBOND_MIN_ANGLE * Math.PI) / 180);
    return {
      score(h: Vec3): Score {
        let contacts = 0, hbond = 0, depth = 0;
        const [hx, hy, hz] = h;
        for (let k = 0; k < hv.length; k += 4) {
          const ex = hv[k] - hx, ey = hv[k + 1] - hy, ez = hv[k + 2] - hz;
          const d2 = ex * ex + ey * ey + ez * ez;
          if (d2 >= R * R) continue;
          const d = Math.sqrt(d2);
          const acceptor = hv[k + 3] === 1;
          const cut = acceptor ? CONTACT_POLAR : CONTACT;
          if (d < cut) {
            contacts++;
            depth += (cut - d) ** 2;
          } else if (acceptor && d <= HBOND_MAX) {
            // the X–H···A angle: between H→X and H→A
            const cx = pc[0] - hx, cy = pc[1] - hy, cz = pc[2] - hz;
            const cos = (cx * ex + cy * ey + cz * ez) / (Math.hypot(cx, cy, cz) * d);
            if (cos <= cosMin) hbond = 1;
          }
        }
        for (let k = 0; k < hh.length; k += 3) {
          const ex = hh[k] - hx, ey = hh[k + 1] - hy, ez = hh[k + 2] - hz;
          const d2 = ex * ex + ey * ey + ez * ez;
          if (d2 < CONTACT * CONTACT) {
            contacts++;
            depth += (CONTACT - Math.sqrt(d2)) ** 2;
          }
        }
        return { contacts, hbond, depth };
      },
    };
  }

  // Non-default states, for the report.
  for (const p of protein) if (p && p.state !== p.parent && p.parent !== 'HIS') report.states[p.state] = (report.states[p.state] ?? 0) + 1;
  for (const p of protein) if (p?.state === 'HSP') report.states.HSP = (report.states.HSP ?? 0) + 1;
  for (const p of protein) {
    if (p?.nTerminal) report.termini.n++;
    if (p?.cTerminal) report.termini.c++;
  }

  // Output: per residue its heavy atoms (renamed), OXT if placed, then its hydrogens in topology order.
  const sb = new StructureBuilder(a.count + (withH ? a.count : 0) + 16);
  residues.forEach((res, k) => {
    const p = protein[k];
    const lipid = lipids[k];
    if (lipid) {
      writeLipid(sb, lipid);
      return;
    }
    const water = waters[k];
    if (water) {
      writeWater(sb, water);
      return;
    }
    const resName = p ? residueNameFor(p.state, naming) : res.resName;
    const term = { nTerminal: p?.nTerminal ?? false, cTerminal: p?.cTerminal ?? false };
    const base = res.start;
    const extra = (name: string, element: string, v: Vec3) =>
      sb.addAtom({ name, resName, chainId: a.chainId[base], resSeq: a.resSeq[base], iCode: a.iCode[base], element, segId: a.segId[base], hetero: a.hetero[base] === 1, x: v[0], y: v[1], z: v[2] });
    for (let i = res.start; i < res.end; i++) {
      if (p && (elementOf(i) === 'H' || elementOf(i) === 'D')) continue;
      const name = p ? atomNameFor(p.parent, engineHeavyName(p.parent, a.name[i]), naming, term) : a.name[i];
      sb.addAtom({
        name, resName, chainId: a.chainId[i], resSeq: a.resSeq[i], iCode: a.iCode[i], element: a.element[i], altLoc: a.altLoc[i], occupancy: a.occupancy[i],
        bFactor: a.bFactor[i], hetero: a.hetero[i] === 1, segId: a.segId[i], sourceLine: a.sourceLine[i], x: c[3 * i], y: c[3 * i + 1], z: c[3 * i + 2],
      });
    }
    if (!p) return;
    if (p.oxt) extra(atomNameFor(p.parent, 'OXT', naming, term), 'O', p.oxt);
    for (const g of groupsOf(p))
      for (const name of g.names) {
        const v = p.h.get(name);
        if (!v) continue;
        extra(atomNameFor(p.parent, name, naming, term), 'H', v);
        report.added++;
      }
  });
  return { structure: sb.build(s.source, s.title, s.box), report, plan };

  /** A water under the naming's names: its oxygen, then its two hydrogens when placed. */
  function writeWater(out: StructureBuilder, w: WaterResidue): void {
    const names = waterNamesFor(naming);
    const i = w.oxygen;
    // Fields written out (no object spread): a membrane system writes hundreds of thousands of waters.
    const resName = names.resName, chainId = a.chainId[i], resSeq = a.resSeq[i], iCode = a.iCode[i], hetero = a.hetero[i] === 1, segId = a.segId[i];
    out.addAtom({ resName, chainId, resSeq, iCode, hetero, segId, name: names.oxygen, element: 'O', altLoc: a.altLoc[i], occupancy: a.occupancy[i], bFactor: a.bFactor[i], sourceLine: a.sourceLine[i], x: c[3 * i], y: c[3 * i + 1], z: c[3 * i + 2] });
    if (!w.h) return;
    for (let m = 0; m < w.h.length; m++) {
      const v = w.h[m];
      out.addAtom({ resName, chainId, resSeq, iCode, hetero, segId, name: names.hydrogens[m], element: 'H', x: v[0], y: v[1], z: v[2] });
      report.added++;
    }
  }

  /** A lipid or sterol's heavy atoms as they came (its input hydrogens dropped), each carrier followed by its hydrogens. */
  function writeLipid(out: StructureBuilder, l: TemplatedResidue): void {
    // Lipids and sterols under the naming's lipid force field (AMBER Lipid17/21 for 'amber').
    const nm = (x: string) => lipidNameFor(l.res.resName, x, naming);
    for (let i = l.res.start; i < l.res.end; i++) {
      if (elementOf(i) === 'H' || elementOf(i) === 'D') continue;
      // Fields written out (no object spread per atom: it dominated the hydrogen step of large systems).
      const resName = lipidResidueNameFor(a.resName[i], naming), chainId = a.chainId[i], resSeq = a.resSeq[i], iCode = a.iCode[i], hetero = a.hetero[i] === 1, segId = a.segId[i];
      out.addAtom({ resName, chainId, resSeq, iCode, hetero, segId, name: nm(a.name[i]), element: a.element[i], altLoc: a.altLoc[i], occupancy: a.occupancy[i], bFactor: a.bFactor[i], sourceLine: a.sourceLine[i], x: c[3 * i], y: c[3 * i + 1], z: c[3 * i + 2] });
      // a carrier's hydrogens once, after its first occurrence
      if (l.atoms.get(a.name[i]) !== i) continue;
      for (const name of l.plan.byCarrier.get(a.name[i]) ?? []) {
        const v = l.h.get(name);
        if (!v) continue;
        out.addAtom({ resName, chainId, resSeq, iCode, hetero, segId, name: nm(name), element: 'H', x: v[0], y: v[1], z: v[2] });
        report.added++;
      }
    }
  }
}

/**
 * `s` with the heavy atoms of its amino acids under the engine's names (OT1/OC1 → O, OT2/OC2 → OXT, ILE CD → CD1),
 * so that a structure written under a force field's names compares atom by atom with one under PDB names (`backmap
 * evaluate`). Hydrogens and other residues are left as they are; `s` itself when nothing is renamed.
 */
export function engineHeavyNames(s: Structure): Structure {
  const a = s.atoms;
  let names: string[] | null = null;
  for (let i = 0; i < a.count; i++) {
    const parent = protonationParent(a.resName[i]);
    if (!parent) continue;
    const name = engineHeavyName(parent, a.name[i]);
    if (name === a.name[i]) continue;
    names ??= Array.from({ length: a.count }, (_, k) => a.name[k]);
    names[i] = name;
  }
  return names ? { ...s, atoms: { ...a, name: names } } : s;
}

/** One line for the report's notes: hydrogens added, naming, histidine tautomers and the rest that was decided. */
export function hydrogenSummary(r: HydrogenReport): string {
  const parts = [r.hydrogens ? `hydrogens added: ${r.added} (pH ${r.ph.toFixed(1)})` : `hydrogens: not added (pH ${r.ph.toFixed(1)} for the names)`, `naming: ${r.naming}`];
  if (r.histidines.length) {
    const shown = r.histidines.slice(0, 20).map((h) => `${residueNameFor(h.state, r.naming)} ${h.chainId}${h.resSeq}${h.iCode} (${h.reason})`);
    parts.push(`HIS tautomers: ${shown.join(', ')}${r.histidines.length > 20 ? `, … ${r.histidines.length - 20} more` : ''}`);
  } else parts.push('HIS tautomers: none');
  if (r.disulfides) parts.push(`disulfides: ${r.disulfides}`);
  const states = Object.entries(r.states).filter(([s]) => s !== 'HSP' && s !== 'CYX');
  if (states.length) parts.push(`protonation: ${states.map(([s, n]) => `${n} ${residueNameFor(s as ProtonationState, r.naming)}`).join(', ')}`);
  parts.push(`termini: ${r.termini.n} N (NH3+), ${r.termini.c} C (COO−)`);
  if (r.terminalKept) parts.push(`${r.terminalKept} terminal ASP/GLU/LYS kept in the usual state (force fields have no terminal form of the other)`);
  if (r.oxtAdded) parts.push(`OXT added: ${r.oxtAdded}`);
  if (r.replaced) parts.push(`${r.replaced} input hydrogen(s) rebuilt`);
  if (r.missing) parts.push(`${r.missing} hydrogen(s) not placed (heavy atoms missing)`);
  if (r.contacts) parts.push(`${r.contacts} rotatable group(s) left within ${CONTACT} Å of another atom`);
  if (r.lipids) parts.push(`${r.lipids} lipid/sterol residue(s) with hydrogens (${r.naming === 'amber' ? 'AMBER Lipid17/21' : 'CHARMM36'} names)`);
  if (r.templated) parts.push(`${r.templated} residue(s) with hydrogens from their templates`);
  if (r.waters) parts.push(r.hydrogens ? `${r.waters} water(s) with hydrogens (TIP3P geometry${r.waterContacts ? `; ${r.waterContacts} left within ${CONTACT} Å of another atom` : ''})` : `${r.waters} water(s) named`);
  if (r.fromPlan) parts.push('protonation decided on the first frame, applied to every frame');
  if (r.untreated.length) parts.push(`no hydrogen table for ${r.untreated.join(', ')} (left as is)`);
  return parts.join('; ');
}
