/**
 * `backmap prepare` / "Prepare for simulation…": minimises a (backmapped) structure with the user's own engine,
 * GROMACS or OpenMM (engines.ts), and writes `<stem>.prepared/`: the engine's files, minimised.pdb, prepare.json
 * (result.ts `PrepareResult`) and prepare.md. Everything is made in a scratch folder beside the output and moved
 * into place when complete, so a failure or Cancel leaves no half-written folder and an existing one is replaced
 * only with `force`.
 */
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InputError, UsageError } from '../errors';
import { readStructureFile } from '../structure/read';
import { residuesOf } from '../structure/builder';
import { solventKind } from '../chemistry/solvent';
import type { Structure } from '../structure/types';
import { findEngine, ENGINE_CHOICES } from './engines';
import { chooseForceField } from './forcefield';
import { runGromacs } from './gromacs';
import { runOpenmm } from './openmm';
import { PREPARE_DEFAULTS, type PrepareHooks, type PrepareOptions, type RouteContext } from './options';
import { renderPrepareReport, type PrepareResult } from './result';

export { PREPARE_DEFAULTS, type PrepareHooks, type PrepareOptions } from './options';
export type { PrepareResult } from './result';

/** `<folder>/<stem>.prepared` for `<folder>/<stem>.pdb` (also .gro, .cif, .mmcif, .ent, with .gz). */
export function defaultPrepareFolder(input: string): string {
  const stem = basename(input).replace(/\.gz$/i, '').replace(/\.(pdb|ent|gro|cif|mmcif)$/i, '');
  return join(dirname(resolve(input)), `${stem}.prepared`);
}

/**
 * Refuses an existing output folder (or a file in its place) unless `force`; even with `force`, only a folder an
 * earlier prepare wrote (it holds prepare.json) is replaced, so `-o ~/project --force` never deletes a user's folder.
 */
export function assertPrepareFolder(out: string, force?: boolean): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new InputError('exists and is not a folder: choose another output (-o)', out);
  if (!force) throw new InputError('output folder already exists (use --force to replace it, or -o another folder)', out);
  if (!existsSync(join(out, 'prepare.json')))
    throw new InputError('output folder exists and was not written by backmap prepare (no prepare.json): --force replaces only such folders; choose another (-o)', out);
}

function checkNumber(value: number | undefined, name: string, min: number, integer = false): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value)))
    throw new UsageError(`--${name} expects ${integer ? 'an integer' : 'a number'} ≥ ${min}, got '${value}'`);
}

/** Solute residues (not water or ions), and whether there are hydrogens and water. */
function describeInput(s: Structure): { residues: number; hasHydrogens: boolean; hasWater: boolean } {
  let residues = 0, hasWater = false;
  for (const r of residuesOf(s.atoms)) {
    const kind = solventKind(r.resName);
    if (kind === 'water') hasWater = true;
    if (!kind) residues++;
  }
  return { residues, hasHydrogens: s.atoms.element.some((e) => e === 'H'), hasWater };
}

export async function prepareStructure(opts: PrepareOptions, hooks: PrepareHooks = {}): Promise<PrepareResult> {
  const t0 = Date.now();
  const input = resolve(opts.input);
  if (!existsSync(input)) throw new InputError('file not found', input);
  const out = resolve(opts.out ?? defaultPrepareFolder(input));
  const rel = relative(out, input);
  if (input === out || (rel && !rel.startsWith('..') && !isAbsolute(rel))) throw new InputError('the output folder would hold the input: choose another (-o)', out);
  assertPrepareFolder(out, opts.force);
  const engineChoice = opts.engine ?? 'auto';
  if (!(ENGINE_CHOICES as readonly string[]).includes(engineChoice)) throw new UsageError(`--engine must be auto, gromacs or openmm (got '${engineChoice}')`);
  checkNumber(opts.restrain, 'restrain', 0);
  checkNumber(opts.emtol, 'emtol', Number.MIN_VALUE);
  checkNumber(opts.steps, 'steps', 1, true);
  checkNumber(opts.threads, 'threads', 1, true);
  const env = opts.env ?? process.env;

  hooks.progress?.('reading the structure', 0);
  const structure = readStructureFile(input);
  if (structure.models.length > 1) hooks.log?.(`note: ${input} has ${structure.models.length} models: the first is minimised`);
  const about = describeInput(structure);
  if (!about.residues) throw new InputError('has no solute to minimise (only water and ions)', input);

  hooks.progress?.('finding the engine', 0.02);
  const engine = await findEngine(engineChoice, { gmx: opts.gmx, python: opts.python, env, signal: hooks.signal });
  hooks.log?.(`engine: ${engine.name === 'gromacs' ? 'GROMACS' : 'OpenMM'} ${engine.version} (${engine.executable})`);
  if (opts.solvate && engine.name === 'openmm') throw new UsageError('--solvate needs GROMACS (OpenMM uses implicit solvent for a structure without water)');
  const { ff, reason } = chooseForceField(engine.name, structure, opts.ff);
  hooks.log?.(`force field: ${ff} (${reason})`);

  mkdirParent(out);
  const scratch = mkdtempSync(join(dirname(out), `.${basename(out)}.tmp-`));
  try {
    const ctx: RouteContext = {
      engine,
      input: structure,
      inputPath: input,
      dir: scratch,
      ff,
      restrain: opts.restrain ?? PREPARE_DEFAULTS.restrain,
      emtol: opts.emtol ?? PREPARE_DEFAULTS.emtol,
      steps: opts.steps ?? PREPARE_DEFAULTS.steps,
      threads: opts.threads ?? Math.max(1, Math.min(4, availableParallelism())),
      solvate: !!opts.solvate,
      ...about,
      env,
      hooks,
    };
    const r = engine.name === 'gromacs' ? await runGromacs(ctx) : await runOpenmm(ctx);
    const result: PrepareResult = {
      schema: 1,
      input,
      folder: out,
      engine: engine.name,
      version: engine.version,
      executable: engine.executable,
      forceField: ff,
      forceFieldReason: reason,
      solvent: r.solvent,
      atoms: r.atoms,
      residues: about.residues,
      hydrogensAddedByEngine: r.hydrogensAddedByEngine,
      restraint: { k: ctx.restrain, unit: 'kJ/mol/Å²', atoms: r.restrainedAtoms },
      emtol: ctx.emtol,
      steps: r.steps,
      maxSteps: ctx.steps,
      converged: r.converged,
      energy: { unit: 'kJ/mol', before: r.before, after: r.after },
      maxForce: r.maxForce,
      heavyAtoms: r.heavyAtoms,
      seconds: (Date.now() - t0) / 1000,
      warnings: r.warnings,
      commands: r.commands,
      files: [],
    };
    result.files = [...readdirSync(scratch), 'prepare.json', 'prepare.md'].filter((f, i, all) => all.indexOf(f) === i).sort();
    writeFileSync(join(scratch, 'prepare.json'), `${JSON.stringify(result, null, 1)}\n`);
    writeFileSync(join(scratch, 'prepare.md'), renderPrepareReport(result));
    // Checked again: the folder may have appeared while the engine ran
    assertPrepareFolder(out, opts.force);
    if (existsSync(out)) rmSync(out, { recursive: true, force: true });
    renameSync(scratch, out);
    hooks.progress?.('done', 1);
    return result;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function mkdirParent(out: string): void {
  const parent = dirname(out);
  if (!existsSync(parent)) throw new InputError('the output folder\'s parent does not exist', parent);
}
