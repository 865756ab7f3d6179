/**
 * The OpenMM route of `backmap prepare`: openmm_minimise.py (shipped beside this file in the repository and copied
 * into dist/ by esbuild.mjs for the bundles) run with the user's Python; its JSON lines are the progress and the
 * result. The minimised structure is compared with the input here, as for GROMACS.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors';
import { parsePdb } from '../structure/pdb';
import { formatPdb } from '../structure/pdb';
import type { Structure } from '../structure/types';
import type { RouteContext, RouteOutcome } from './options';
import { runProcess } from '../process';
import { heavyAtomDisplacement, type EnergyRecord } from './result';

export const OPENMM_SCRIPT = 'openmm_minimise.py';

/** The script: beside this module (repository, tsx) or beside the bundle (dist/, the VSIX). */
export function openmmScriptPath(from: string = __dirname): string | null {
  for (const p of [join(from, OPENMM_SCRIPT), join(from, '..', 'src', 'core', 'prepare', OPENMM_SCRIPT)]) if (existsSync(p)) return p;
  return null;
}

interface ScriptEnergy {
  potential: number;
  terms: Record<string, number>;
  maxForce: number;
  maxForceAtom: number;
  restraint?: number;
}

interface ScriptResult {
  version: string;
  forcefield: string[];
  solvent: string;
  atoms: number;
  residues: number;
  restrained: number;
  steps: number;
  converged: boolean;
  notes: string[];
}

/** "No template found for residue 12 (XYZ)." → the residue, for an InputError that names it. */
export function templateInputError(message: string, ff: string, s: Structure, file: string): InputError {
  const m = /residue (\d+) \(([^)]+)\)/.exec(message);
  let line: number | undefined;
  if (m) {
    // OpenMM numbers residues from 1 in file order
    let k = 0, last = '';
    for (let i = 0; i < s.atoms.count && line === undefined; i++) {
      const key = `${s.atoms.chainId[i]}|${s.atoms.resSeq[i]}|${s.atoms.iCode[i]}|${s.atoms.resName[i]}`;
      if (key !== last) [k, last] = [k + 1, key];
      if (k === Number(m[1])) line = s.atoms.sourceLine[i] || undefined;
    }
  }
  const what = m ? `residue ${m[2]} (the ${m[1]}th in the file)` : 'a residue';
  return new InputError(`OpenMM's ${ff} has no template for ${what}: ${message.trim()}`, file, line);
}

export async function runOpenmm(ctx: RouteContext): Promise<RouteOutcome> {
  const { dir, hooks } = ctx;
  const script = openmmScriptPath();
  if (!script) throw new Error(`${OPENMM_SCRIPT} is not beside this installation (${__dirname}): the package is incomplete`);
  // OpenMM reads PDB only; the input is written as it was read (names kept)
  writeFileSync(join(dir, 'input.pdb'), formatPdb(ctx.input));
  const args = [
    script, '--input', 'input.pdb', '--output', 'minimised.pdb', '--system', 'system.xml', '--ff', ctx.ff,
    '--restrain', String(ctx.restrain), '--tolerance', String(ctx.emtol), '--steps', String(ctx.steps), '--threads', String(ctx.threads),
  ];
  const shown = `${ctx.engine.executable} ${args.join(' ')}`;
  hooks.log?.(`$ ${shown}`);
  hooks.progress?.('OpenMM: building the system', 0.05);
  const energies: Record<string, ScriptEnergy> = {};
  let result: ScriptResult | undefined;
  let templateError: string | undefined;
  const r = await runProcess(ctx.engine.executable, args, {
    cwd: dir,
    env: { ...ctx.env, PYTHONUNBUFFERED: '1' },
    signal: hooks.signal,
    cancelled: 'prepare cancelled',
    onLine: (line) => {
      let msg: Record<string, unknown> | undefined;
      if (line.startsWith('{')) {
        try {
          msg = JSON.parse(line);
        } catch {
          msg = undefined;
        }
      }
      if (!msg || typeof msg.event !== 'string') return hooks.log?.(line);
      if (msg.event === 'stage') hooks.progress?.(`OpenMM: ${String(msg.detail ?? msg.stage)}`, 0.15);
      else if (msg.event === 'energy') {
        energies[String(msg.when)] = msg as unknown as ScriptEnergy;
        hooks.log?.(`OpenMM: energy ${msg.when}: ${(msg.potential as number).toFixed(1)} kJ/mol, largest force ${(msg.maxForce as number).toFixed(1)} kJ/mol/nm`);
      } else if (msg.event === 'progress') {
        const steps = msg.steps as number;
        hooks.progress?.(`OpenMM: minimising, ${steps} steps, largest force ${(msg.maxForce as number).toFixed(0)} kJ/mol/nm`, 0.2 + 0.7 * Math.min(1, steps / ctx.steps));
      } else if (msg.event === 'result') result = msg as unknown as ScriptResult;
      else if (msg.event === 'error' && msg.kind === 'template') templateError = String(msg.message);
    },
  });
  if (templateError) throw templateInputError(templateError, ctx.ff, ctx.input, ctx.inputPath);
  const before = energies.before, after = energies.after;
  if (r.code !== 0 || !result || !before || !after)
    throw new InputError(`OpenMM minimisation failed (exit ${r.code ?? r.signal})\n$ ${shown}\n${r.tail.slice(-15).join('\n')}`, ctx.inputPath);
  const record = (e: ScriptEnergy): EnergyRecord => {
    const terms = Object.fromEntries(Object.entries(e.terms).filter(([k]) => k !== 'CMMotionRemover'));
    return { total: e.potential, perResidue: e.potential / Math.max(1, ctx.residues), terms };
  };
  const minimised = parsePdb(readFileSync(join(dir, 'minimised.pdb'), 'utf8'), join(dir, 'minimised.pdb'));
  const warnings = [...result.notes];
  if (!result.converged) warnings.push(`OpenMM stopped after ${result.steps} L-BFGS iterations with the largest force ${after.maxForce.toFixed(1)} kJ/mol/nm, above ${ctx.emtol}`);
  return {
    solvent: `${result.solvent} (${result.forcefield.join(' + ')})`,
    atoms: result.atoms,
    hydrogensAddedByEngine: !ctx.hasHydrogens,
    restrainedAtoms: result.restrained,
    steps: result.steps,
    converged: result.converged,
    before: record(before),
    after: { ...record(after), restraint: after.restraint ?? 0 },
    maxForce: { before: before.maxForce, after: after.maxForce, atom: after.maxForceAtom },
    heavyAtoms: heavyAtomDisplacement(ctx.input, minimised),
    warnings,
    commands: [shown],
  };
}
