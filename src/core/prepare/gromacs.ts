/**
 * The GROMACS route of `backmap prepare`: pdb2gmx (the file's own hydrogens and names; -ignh only when it has no
 * hydrogens) → editconf (the input's box when it has water, else a dodecahedron 1 nm around the solute) → optional
 * solvate + genion → grompp with our EM mdp → mdrun -em. Energies before (step 0) and after come from mdrun's log,
 * the largest force before from a 0-step run of the same input.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, SetupError, UsageError } from '../errors';
import { parseGro } from '../structure/gro';
import { formatPdb } from '../structure/pdb';
import { residuesOf } from '../structure/builder';
import { boxToVectors } from '../io/box';
import type { Structure } from '../structure/types';
import type { GromacsEngine } from './engines';
import type { RouteContext, RouteOutcome } from './options';
import { runProcess } from '../process';
import { heavyAtomDisplacement } from './result';

/** The energy-minimisation parameters: steepest descent; vacuum (reaction-field cut-off) or PME with water. */
export function emMdp(o: { steps: number; emtol: number; restrain: boolean; periodicWater: boolean }): string {
  return [
    '; written by backmap prepare: energy minimisation of a backmapped structure',
    'integrator      = steep',
    `nsteps          = ${o.steps}`,
    `emtol           = ${o.emtol}`,
    'emstep          = 0.01',
    ...(o.restrain ? ['define          = -DPOSRES'] : []),
    'cutoff-scheme   = Verlet',
    'pbc             = xyz',
    'nstlist         = 10',
    ...(o.periodicWater
      ? ['coulombtype     = PME', 'rcoulomb        = 1.0', 'rvdw            = 1.0']
      : ['; vacuum: a box with 1 nm around the solute and plain cut-offs (no Ewald sum over the images)', 'coulombtype     = Cut-off', 'rcoulomb        = 1.2', 'rvdw            = 1.2']),
    '',
  ].join('\n');
}

/** An `Energies (kJ/mol)` block of an mdrun log: names and values in 15-character columns. */
export interface LogEnergies {
  step: number;
  terms: Record<string, number>;
}

export interface EmLog {
  /** Every energy block, in order (steep prints one per accepted step). */
  blocks: LogEnergies[];
  /** The summary at the end. */
  potential?: number;
  maxForce?: number;
  maxForceAtom?: number;
  steps?: number;
  converged?: boolean;
  /** "converged to machine precision …" / "did not converge …": the summary sentence when not converged. */
  stopReason?: string;
}

const columns = (line: string) => {
  const out: string[] = [];
  for (let i = 0; i < line.length; i += 15) out.push(line.slice(i, i + 15).trim());
  return out.filter((x) => x !== '');
};

/** Reads mdrun's EM log (GROMACS 2018–2024 format). */
export function parseEmLog(text: string): EmLog {
  const lines = text.split(/\r?\n/);
  const blocks: LogEnergies[] = [];
  let step = -1;
  for (let i = 0; i < lines.length; i++) {
    if (/^\s+Step\s+Time\s*$/.test(lines[i])) {
      step = parseInt(lines[i + 1]?.trim().split(/\s+/)[0] ?? '', 10);
      continue;
    }
    if (!/^\s+Energies \(kJ\/mol\)/.test(lines[i])) continue;
    const terms: Record<string, number> = {};
    let j = i + 1;
    while (j + 1 < lines.length && lines[j].trim() !== '') {
      const names = columns(lines[j]), values = columns(lines[j + 1]);
      names.forEach((n, k) => (terms[n] = Number(values[k])));
      j += 2;
    }
    blocks.push({ step, terms });
    i = j;
  }
  const r: EmLog = { blocks };
  const num = (re: RegExp) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : undefined;
  };
  r.potential = num(/^Potential Energy\s*=\s*(\S+)/m);
  r.maxForce = num(/^Maximum force\s*=\s*(\S+)/m);
  r.maxForceAtom = num(/^Maximum force\s*=\s*\S+ on atom (\d+)/m);
  const s = /^(?:Steepest Descents|Polak-Ribiere Conjugate Gradients|Low-Memory BFGS Minimizer) (converged to Fmax < \S+|converged to machine precision|did not converge to Fmax < \S+) in (\d+) steps\.?(,\s*but did not reach the requested Fmax < \S+)?/m.exec(text);
  if (s) {
    r.steps = Number(s[2]);
    r.converged = s[1].startsWith('converged to Fmax');
    if (!r.converged) r.stopReason = `${s[1]} in ${s[2]} steps${s[3] ? s[3].replace(/\.$/, '') : ''}`;
  }
  return r;
}

/** The text between "Fatal error:" (or "Error in user input:") and GROMACS's "For more information" footer. */
export function gromacsFatal(output: string): string | undefined {
  const m = /(?:Fatal error|Error in user input):\s*\n([\s\S]*?)(?:\nFor more information|\n-{10,}|$)/.exec(output);
  return m?.[1].trim().replace(/\s*\n\s*/g, ' ');
}

/** The debian build's mdrun dies on CPUs without RDTSCP (some virtual machines hide it). */
export const RDTSCP_MESSAGE =
  'gmx mdrun stopped with an illegal instruction: this CPU lacks the RDTSCP instruction, which this GROMACS build (Debian/Ubuntu\'s ' +
  'package among them) requires; some virtual machines hide it. Run on a machine whose CPU offers RDTSCP, use a GROMACS built ' +
  'with -DGMX_USE_RDTSCP=OFF (conda-forge\'s, or your own), or --engine openmm.';

export function isIllegalInstruction(r: { signal: NodeJS.Signals | null; code: number | null; output: string }): boolean {
  // Only the crash itself: a build made without RDTSCP prints a note naming GMX_USE_RDTSCP on every run.
  return r.signal === 'SIGILL' || r.code === 132 || /illegal instruction/i.test(r.output);
}

/** The first input line of a residue named `name` (and of its atom `atom`), for InputErrors that point at the file. */
function lineOfResidue(s: Structure, name: string, resSeq?: number, atom?: string): number | undefined {
  for (let i = 0; i < s.atoms.count; i++)
    if (s.atoms.resName[i] === name && (resSeq === undefined || s.atoms.resSeq[i] === resSeq) && (atom === undefined || s.atoms.name[i] === atom)) return s.atoms.sourceLine[i] || undefined;
  return atom === undefined ? undefined : lineOfResidue(s, name, resSeq);
}

/** pdb2gmx's complaints about the input, as an InputError naming the residue (and its line). */
export function pdb2gmxInputError(output: string, ff: string, s: Structure, file: string): InputError | UsageError | undefined {
  const fatal = gromacsFatal(output) ?? '';
  let m = /Residue '([^']+)' not found in residue topology database/.exec(fatal);
  if (m) return new InputError(`residue ${m[1]} is not in ${ff}'s residue topology database (pdb2gmx): remove it, rename it to a residue ${ff} knows, or add its topology to the force field`, file, lineOfResidue(s, m[1]));
  m = /residues in the chain (\S+)--(\S+) do not have a consistent type\. The first residue has type '([^']+)', while residue (\S+) is of type '([^']+)'/.exec(fatal);
  if (m) {
    const name = /^([A-Z0-9]+?)(-?\d+)$/i.exec(m[1]);
    return new InputError(
      `residue ${m[1]} (type '${m[3]}' for GROMACS) shares a chain with ${m[5].toLowerCase()} residues such as ${m[4]}: pdb2gmx does not know residue ${name?.[1] ?? m[1]}; give it its own chain or remove it`,
      file,
      name ? lineOfResidue(s, name[1], Number(name[2])) : undefined,
    );
  }
  m = /Atom (\S+) in residue (\S+) (-?\d+) was not found in rtp entry (\S+)/.exec(fatal);
  if (m) return new InputError(`atom ${m[1]} of residue ${m[2]} ${m[3]} is not in ${ff}'s building block ${m[4]}: the file's names are not ${ff}'s (backmap with --names for this force field, or choose --ff)`, file, lineOfResidue(s, m[2], Number(m[3]), m[1]));
  m = /Could not find force field '([^']+)'/.exec(fatal);
  if (m) return new UsageError(`GROMACS has no force field '${m[1]}' (pdb2gmx looks in its share/gromacs/top and the working folder)`);
  return undefined;
}

/** Runs the route in `ctx.dir`; the files stay there. */
export async function runGromacs(ctx: RouteContext): Promise<RouteOutcome> {
  const engine = ctx.engine as GromacsEngine;
  const { dir, hooks } = ctx;
  const env = { ...ctx.env, GMX_MAXBACKUP: '-1' };
  const commands: string[] = [];
  const warnings: string[] = [];
  const gmx = async (what: string, args: string[], stdin?: string) => {
    const full = ['-quiet', ...args];
    const shown = `${engine.executable} ${full.join(' ')}${stdin ? ` <<< ${JSON.stringify(stdin.trim())}` : ''}`;
    commands.push(shown);
    hooks.log?.(`$ ${shown}`);
    const r = await runProcess(engine.executable, full, { cwd: dir, env, stdin, signal: hooks.signal, onLine: hooks.log, cancelled: 'prepare cancelled' });
    return { ...r, what, shown };
  };
  const fail = (r: Awaited<ReturnType<typeof gmx>>): never => {
    if (r.what.startsWith('mdrun') && isIllegalInstruction(r)) throw new SetupError(RDTSCP_MESSAGE);
    const why = gromacsFatal(r.output);
    // The engine's refusal of this input (or of its setup): the step, GROMACS's reason, its last lines
    throw new InputError(`GROMACS ${r.what} failed (exit ${r.code ?? r.signal})${why ? `: ${why}` : ''}\n$ ${r.shown}\n${r.tail.slice(-15).join('\n')}`, ctx.inputPath);
  };

  // 1. topology. The input is written as PDB (pdb2gmx reads neither .gz nor mmCIF), names as they are.
  hooks.progress?.('pdb2gmx: topology', 0.05);
  writeFileSync(join(dir, 'input.pdb'), formatPdb(ctx.input));
  const ignh = !ctx.hasHydrogens;
  if (ignh) warnings.push('the input has no hydrogens: pdb2gmx -ignh added them (its own protonation and names)');
  const fc = Math.max(ctx.restrain, 0) * 100; // kJ/mol/Å² → kJ/mol/nm²
  const p = await gmx('pdb2gmx', ['pdb2gmx', '-f', 'input.pdb', '-o', 'conf.gro', '-p', 'topol.top', '-i', 'posre.itp', '-ff', ctx.ff, '-water', 'tip3p', '-posrefc', String(fc || 1000), ...(ignh ? ['-ignh'] : [])]);
  if (p.code !== 0) throw pdb2gmxInputError(p.output, ctx.ff, ctx.input, ctx.inputPath) ?? fail(p);
  const conf = parseGro(readFileSync(join(dir, 'conf.gro'), 'utf8'), join(dir, 'conf.gro'));
  if (!ignh && conf.atoms.count !== ctx.input.atoms.count)
    warnings.push(`pdb2gmx wrote ${conf.atoms.count} atoms for the input's ${ctx.input.atoms.count}: it ${conf.atoms.count > ctx.input.atoms.count ? 'added missing hydrogens' : 'dropped atoms'}`);
  const charge = /Total charge( in system)?\s+(-?[\d.]+) e/.exec(p.output)?.[2];

  // 2. box
  hooks.progress?.('editconf: box', 0.15);
  let start = 'conf.gro';
  let shift = [0, 0, 0];
  const keepBox = ctx.hasWater && !!ctx.input.box;
  let solvent: string;
  if (keepBox) {
    solvent = "the input's water, in its box (PME)";
  } else {
    const e = await gmx('editconf', ['editconf', '-f', 'conf.gro', '-o', 'box.gro', '-c', '-d', '1.0', '-bt', 'dodecahedron']);
    if (e.code !== 0) fail(e);
    const boxed = parseGro(readFileSync(join(dir, 'box.gro'), 'utf8'), join(dir, 'box.gro'));
    // editconf -c translated everything: the same vector for every atom
    shift = [0, 1, 2].map((k) => boxed.coords[k] - conf.coords[k]);
    start = 'box.gro';
    solvent = 'vacuum (1 nm of empty dodecahedron around the solute, cut-off electrostatics)';
    if (ctx.hasWater) warnings.push('the input has water but no box: minimised in a dodecahedron 1 nm around everything, without PME');
  }
  if (ctx.solvate && !keepBox) {
    hooks.progress?.('solvate + genion', 0.25);
    const s = await gmx('solvate', ['solvate', '-cp', start, '-cs', 'spc216.gro', '-p', 'topol.top', '-o', 'solv.gro']);
    if (s.code !== 0) fail(s);
    writeFileSync(join(dir, 'ions.mdp'), emMdp({ steps: 0, emtol: ctx.emtol, restrain: false, periodicWater: true }));
    const gi = await gmx('grompp (ions)', ['grompp', '-f', 'ions.mdp', '-c', 'solv.gro', '-p', 'topol.top', '-o', 'ions.tpr', '-maxwarn', '1']);
    if (gi.code !== 0) fail(gi);
    const g = await gmx('genion', ['genion', '-s', 'ions.tpr', '-o', 'solvated.gro', '-p', 'topol.top', '-pname', 'NA', '-nname', 'CL', '-neutral', '-conc', '0.15'], 'SOL\n');
    if (g.code !== 0) fail(g);
    for (const f of ['ions.mdp', 'ions.tpr', 'solv.gro', 'mdout.mdp']) rmSync(join(dir, f), { force: true });
    start = 'solvated.gro';
    solvent = 'solvated by prepare: TIP3P water and 0.15 M NaCl, neutralised (PME)';
  } else if (ctx.solvate) warnings.push('--solvate ignored: the input already has water in a box');
  const periodicWater = keepBox || ctx.solvate;

  // 3. grompp + mdrun: a 0-step run for the largest force before, then the minimisation
  const restrain = ctx.restrain > 0;
  const minimise = async (name: string, steps: number, fraction: number) => {
    hooks.progress?.(steps ? `mdrun -em: minimising (up to ${steps} steps)` : 'mdrun: energy before', fraction);
    writeFileSync(join(dir, `${name}.mdp`), emMdp({ steps, emtol: ctx.emtol, restrain, periodicWater }));
    let g = await gmx(`grompp (${name})`, ['grompp', '-f', `${name}.mdp`, '-c', start, ...(restrain ? ['-r', start] : []), '-p', 'topol.top', '-o', `${name}.tpr`]);
    // a net charge under PME is GROMACS's one warning here: minimise anyway and say so
    const warned = /Too many warnings \((\d+)\)/.exec(g.output);
    if (g.code !== 0 && warned && /WARNING 1 \[[^\]]*\]:\s*\n\s*You are using Ewald electrostatics in a system with net charge/.test(g.output)) {
      warnings.push(`the system has a net charge${charge ? ` of ${charge} e` : ''} under PME (grompp's warning): fine for a minimisation, neutralise it (--solvate adds counter-ions) before dynamics`);
      g = await gmx(`grompp (${name})`, ['grompp', '-f', `${name}.mdp`, '-c', start, ...(restrain ? ['-r', start] : []), '-p', 'topol.top', '-o', `${name}.tpr`, '-maxwarn', warned[1]]);
    }
    if (g.code !== 0) fail(g);
    const threads = engine.mpi ? ['-ntomp', String(ctx.threads)] : ['-nt', String(ctx.threads)];
    const m = await gmx(`mdrun (${name})`, ['mdrun', '-s', `${name}.tpr`, '-deffnm', name, ...threads]);
    if (m.code !== 0) fail(m);
    return parseEmLog(readFileSync(join(dir, `${name}.log`), 'utf8'));
  };
  const zero = await minimise('em0', 0, 0.35);
  for (const f of readdirSync(dir)) if (f.startsWith('em0.')) rmSync(join(dir, f), { force: true });
  const log = await minimise('em', ctx.steps, 0.45);
  rmSync(join(dir, 'mdout.mdp'), { force: true });
  rmSync(join(dir, 'em.trr'), { force: true });
  hooks.progress?.('reading the results', 0.95);

  const first = log.blocks[0], last = log.blocks[log.blocks.length - 1];
  if (!first || !last || first.step !== 0 || log.potential === undefined || log.maxForce === undefined)
    throw new Error(`GROMACS mdrun's log has no energies at step 0 and at the end (${join(dir, 'em.log')})`);
  const restraintOf = (t: Record<string, number>) => t['Position Rest.'] ?? 0;
  const ffTerms = (t: Record<string, number>) =>
    Object.fromEntries(Object.entries(t).filter(([k]) => !['Position Rest.', 'Potential', 'Pressure (bar)', 'Constr. rmsd', 'Pres. DC (bar)'].includes(k)));
  const energyOf = (t: Record<string, number>) => {
    const total = (t.Potential ?? 0) - restraintOf(t);
    return { total, perResidue: total / Math.max(1, ctx.residues), terms: ffTerms(t) };
  };
  if (Math.abs((last.terms.Potential ?? Number.NaN) - log.potential) > 1e-4 * Math.max(1, Math.abs(log.potential)))
    throw new Error(`GROMACS mdrun's last energies (${last.terms.Potential}) are not its final potential (${log.potential}): ${join(dir, 'em.log')}`);
  if (!log.converged && log.stopReason) warnings.push(`GROMACS ${log.stopReason.replace(/\s+/g, ' ')}`);

  // 4. minimised.pdb in the input's frame, chains and residue numbers
  const em = parseGro(readFileSync(join(dir, 'em.gro'), 'utf8'), join(dir, 'em.gro'));
  const minimised = inInputFrame(em, ctx.input, shift);
  writeFileSync(join(dir, 'minimised.pdb'), formatPdb(minimised));
  const restrained = restrain ? countPosres(dir) : 0;
  return {
    solvent,
    atoms: em.atoms.count,
    hydrogensAddedByEngine: ignh,
    restrainedAtoms: restrained,
    steps: log.steps ?? last.step,
    converged: !!log.converged,
    before: energyOf(first.terms),
    after: { ...energyOf(last.terms), restraint: restraintOf(last.terms) },
    maxForce: { before: zero.maxForce, after: log.maxForce, atom: log.maxForceAtom },
    heavyAtoms: heavyAtomDisplacement(ctx.input, minimised),
    warnings,
    commands,
  };
}

/** Atoms under position restraint in the posre*.itp files pdb2gmx wrote. */
function countPosres(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir))
    if (/^posre.*\.itp$/.test(f))
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) if (/^\s*\d+\s+1\s/.test(line)) n++;
  return n;
}

/**
 * The minimised structure as the input had it: editconf's translation undone, each atom brought to the periodic
 * image nearest its residue in the input (mdrun puts atoms back into the box, splitting molecules), and each residue's
 * chain and number from the input's residue in the same place (pdb2gmx keeps the residues in order; a GRO file has
 * no chains). Residues the input lacks (water and ions added by solvate) are made whole around their first atom.
 */
export function inInputFrame(em: Structure, input: Structure, shift: readonly number[]): Structure {
  const out: Structure = { ...em, title: `minimised by backmap prepare (GROMACS) from ${input.title || input.source}`, coords: new Float64Array(em.coords) };
  const c = out.coords;
  for (let i = 0; i < out.atoms.count; i++) for (let k = 0; k < 3; k++) c[3 * i + k] -= shift[k];
  out.models = [c];
  const ri = residuesOf(input.atoms), ro = residuesOf(out.atoms);
  const v = em.box ? boxToVectors(em.box) : undefined;
  const images: number[][] = [];
  if (v)
    for (const a of [-1, 0, 1]) for (const b of [-1, 0, 1]) for (const d of [-1, 0, 1])
      images.push([0, 1, 2].map((k) => a * v[k] + b * v[3 + k] + d * v[6 + k]));
  for (let k = 0; k < ro.length; k++) {
    const inRes = ri[k];
    let ref: number[];
    if (inRes) {
      ref = [0, 0, 0];
      for (let i = inRes.start; i < inRes.end; i++) for (let x = 0; x < 3; x++) ref[x] += input.coords[3 * i + x] / (inRes.end - inRes.start);
    } else ref = [c[3 * ro[k].start], c[3 * ro[k].start + 1], c[3 * ro[k].start + 2]];
    for (let i = ro[k].start; i < ro[k].end; i++) {
      if (images.length) {
        let best = images[13], bestD = Infinity;
        for (const t of images) {
          const d = (c[3 * i] + t[0] - ref[0]) ** 2 + (c[3 * i + 1] + t[1] - ref[1]) ** 2 + (c[3 * i + 2] + t[2] - ref[2]) ** 2;
          if (d < bestD) [best, bestD] = [t, d];
        }
        for (let x = 0; x < 3; x++) c[3 * i + x] += best[x];
      }
      out.atoms.chainId[i] = inRes?.chainId ?? '';
      if (inRes) out.atoms.resSeq[i] = inRes.resSeq;
    }
  }
  return out;
}
