/**
 * The energy column of bench:accuracy (issue 30): a backmap and its all-atom reference, each given hydrogens by our
 * own `addHydrogens` under AMBER names, minimised by `prepareStructure` (`backmap prepare`) with one restrained
 * protocol in vacuum; the row holds the energy after minimisation per residue of both, their gap and how far the
 * minimiser moved the heavy atoms. Bench-only: it needs a reference structure, which a user backmapping CG does not
 * have, and a user who wants the energies of a backmap already has `backmap prepare`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addHydrogens, type ProtonationPlan } from '../src/core/hydrogens';
import { protonationParent } from '../src/core/chemistry/variants';
import { residuesOf } from '../src/core/structure/builder';
import { formatPdb } from '../src/core/structure/pdb';
import { selectAtoms } from '../src/core/pipeline/molecules';
import type { Structure } from '../src/core/structure/types';
import { findEngine, type Engine } from '../src/core/prepare/engines';
import { FORCE_FIELDS } from '../src/core/prepare/forcefield';
import { PREPARE_DEFAULTS, prepareStructure, type PrepareResult } from '../src/core/prepare';
import { SetupError } from '../src/core/errors';

/** Larger structures are skipped: a vacuum minimisation of each side grows with the atoms, the bench stays bounded. */
export const ENERGY_MAX_RESIDUES = 400;

/** One protocol for both sides: prepare's restraint and step cap, emtol 10 kJ/mol/nm, 2 threads, vacuum. */
export const ENERGY_PROTOCOL = { restrain: PREPARE_DEFAULTS.restrain, emtol: 10, steps: PREPARE_DEFAULTS.steps, threads: 2 } as const;

/** One side (backmap or reference) after minimisation. */
export interface EnergySide {
  atoms: number;
  /** Force-field potential energy per residue, kJ/mol (restraint not included), before and after minimisation. */
  perResidueBefore: number;
  perResidueAfter: number;
  /** Heavy atoms moved by the minimiser: RMS and largest, Å. */
  heavyRms: number;
  heavyMax: number;
  steps: number;
  converged: boolean;
  seconds: number;
}

export interface EnergyRow {
  label: string;
  residues: number;
  engine: string;
  version: string;
  forceField: string;
  backmap: EnergySide;
  reference: EnergySide;
  /** backmap − reference, energy after minimisation, kJ/mol per residue. */
  gap: number;
  /** Protein residues whose protonation state (HIS tautomer, …) `addHydrogens` decided differently on the two. */
  protonationDiffers: number;
}

/** A structure the energy column does not take (too large, residues not the reference's), with the reason. */
export class EnergySkipped extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnergySkipped';
  }
}

/** The engine `backmap prepare --engine auto` would use (GROMACS, else OpenMM), or why there is none. */
export async function energyEngine(env: NodeJS.ProcessEnv = process.env): Promise<{ engine?: Engine; reason?: string }> {
  try {
    return { engine: await findEngine('auto', { env }) };
  } catch (e) {
    if (e instanceof SetupError) return { reason: e.message };
    throw e;
  }
}

/**
 * The amino-acid residues of `s` (of `chain` when given), model 0, each atom name once per residue (the first
 * alternate location): what the CG was made from, without water, ions and ligands.
 */
export function proteinPart(s: Structure, chain?: string): Structure {
  const keep: number[] = [];
  for (const r of residuesOf(s.atoms)) {
    if (chain && r.chainId !== chain) continue;
    if (!protonationParent(r.resName)) continue;
    const seen = new Set<string>();
    for (let i = r.start; i < r.end; i++) {
      if (seen.has(s.atoms.name[i])) continue;
      seen.add(s.atoms.name[i]);
      keep.push(i);
    }
  }
  const out = selectAtoms(s, Int32Array.from(keep));
  return { ...out, models: [out.coords] };
}

const sequence = (s: Structure) => residuesOf(s.atoms).map((r) => protonationParent(r.resName) ?? r.resName);

async function minimise(s: Structure, name: string, dir: string, engine: Engine): Promise<PrepareResult> {
  const input = join(dir, `${name}.pdb`);
  writeFileSync(input, formatPdb(s));
  return prepareStructure({
    input,
    out: join(dir, `${name}.prepared`),
    engine: engine.name,
    ...(engine.name === 'gromacs' ? { gmx: engine.executable } : { python: engine.executable }),
    ff: FORCE_FIELDS[engine.name].amber,
    ...ENERGY_PROTOCOL,
  });
}

const side = (r: PrepareResult): EnergySide => ({
  atoms: r.atoms,
  perResidueBefore: r.energy.before.perResidue,
  perResidueAfter: r.energy.after.perResidue,
  heavyRms: r.heavyAtoms.rmsd,
  heavyMax: r.heavyAtoms.max,
  steps: r.steps,
  converged: r.converged,
  seconds: r.seconds,
});

function protonationDiff(a: ProtonationPlan, b: ProtonationPlan): number {
  let n = 0;
  for (let k = 0; k < Math.max(a.protein.length, b.protein.length); k++) if (a.protein[k]?.state !== b.protein[k]?.state) n++;
  return n;
}

/**
 * The energy row of one backmap against its reference. `backmap`: the backmapped heavy atoms (engine names, as
 * `rebuild` gives them); `reference`: the all-atom structure the CG came from (its protein part of `chain` is used;
 * hydrogens it has are replaced). Both get hydrogens from `addHydrogens(…, { names: 'amber' })` and the same
 * minimisation (`ENERGY_PROTOCOL`) with `engine` (`energyEngine`). `referenceCache` (by label) saves minimising a
 * reference again for another method. Throws `EnergySkipped` for a structure the column does not take, `SetupError`
 * when the engine cannot run here (GROMACS without RDTSCP: prepare's `RDTSCP_MESSAGE`), the engine's `InputError`
 * when it refuses a structure.
 */
export async function energyRow(
  label: string,
  backmap: Structure,
  reference: Structure,
  opts: { engine: Engine; chain?: string; referenceCache?: Map<string, { side: EnergySide; plan: ProtonationPlan }> },
): Promise<EnergyRow> {
  const bm = proteinPart(backmap);
  const ref = proteinPart(reference, opts.chain);
  const residues = residuesOf(bm.atoms).length;
  if (residues > ENERGY_MAX_RESIDUES) throw new EnergySkipped(`${residues} residues (over ${ENERGY_MAX_RESIDUES})`);
  const sb = sequence(bm), sr = sequence(ref);
  if (sb.join('-') !== sr.join('-'))
    throw new EnergySkipped(`the backmap's ${sb.length} amino-acid residues are not the reference's ${sr.length}${opts.chain ? ` (chain ${opts.chain})` : ''}`);
  const dir = mkdtempSync(join(tmpdir(), 'bm-energy-'));
  try {
    const b = addHydrogens(bm, { names: 'amber' });
    const backmapSide = side(await minimise(b.structure, 'backmap', dir, opts.engine));
    let refDone = opts.referenceCache?.get(label);
    if (!refDone) {
      const r = addHydrogens(ref, { names: 'amber' });
      refDone = { side: side(await minimise(r.structure, 'reference', dir, opts.engine)), plan: r.plan };
      opts.referenceCache?.set(label, refDone);
    }
    return {
      label,
      residues,
      engine: opts.engine.name,
      version: opts.engine.version,
      forceField: FORCE_FIELDS[opts.engine.name].amber,
      backmap: backmapSide,
      reference: refDone.side,
      gap: backmapSide.perResidueAfter - refDone.side.perResidueAfter,
      protonationDiffers: protonationDiff(b.plan, refDone.plan),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
