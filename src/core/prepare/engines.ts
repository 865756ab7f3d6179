/**
 * Finding the user's simulation engine for `backmap prepare`: GROMACS (`gmx`, its MPI and double-precision builds)
 * or OpenMM (a Python that imports `openmm`, found like training's Python: src/core/training/python.ts). A named
 * executable (--gmx / --python, the editor's settings) is the only one tried, so a wrong setting is not papered over.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SetupError } from '../errors';
import { pythonCandidates } from '../training/python';

export type EngineName = 'gromacs' | 'openmm';
export const ENGINE_CHOICES = ['auto', 'gromacs', 'openmm'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

export interface EngineProbe {
  executable: string;
  /** Where the candidate came from ("--gmx", "BACKMAP_GMX", "PATH", …). */
  origin: string;
  version?: string;
  /** Why it cannot run (absent when it can). */
  problem?: string;
}

export interface GromacsEngine {
  name: 'gromacs';
  executable: string;
  version: string;
  /** `<data prefix>/share/gromacs/top`: the installed force fields. */
  topDir: string;
  /** A real-MPI build (gmx_mpi) takes OpenMP threads (-ntomp), not thread-MPI ranks (-nt). */
  mpi: boolean;
}

export interface OpenmmEngine {
  name: 'openmm';
  executable: string;
  version: string;
}

export type Engine = GromacsEngine | OpenmmEngine;

export const GROMACS_INSTALL =
  'GROMACS: Debian/Ubuntu `sudo apt install gromacs`, conda `conda install -c conda-forge gromacs`; name the executable with --gmx (editor: backmapStudio.prepare.gmx) or BACKMAP_GMX.';
export const OPENMM_INSTALL =
  'OpenMM: Debian/Ubuntu `sudo apt install python3-openmm` (Debian 12: `python3-simtk`), conda `conda install -c conda-forge openmm`; name the Python with --python or BACKMAP_PYTHON, or activate its environment.';

const version = (text: string) => /GROMACS version:\s*(\S+)/.exec(text)?.[1] ?? /GROMACS - \S+, (\S+)/.exec(text)?.[1];

/** Runs `<exe> --version` and reads the version, data prefix and MPI flavour. */
export function probeGromacs(executable: string, origin: string, env: NodeJS.ProcessEnv = process.env): EngineProbe & { engine?: GromacsEngine } {
  const r = spawnSync(executable, ['-quiet', '--version'], { encoding: 'utf8', timeout: 30_000, windowsHide: true, env });
  if (r.error) return { executable, origin, problem: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message };
  const out = `${r.stdout}\n${r.stderr}`;
  const v = version(out);
  if (r.status !== 0 || !v) return { executable, origin, problem: `is not GROMACS (\`${executable} --version\` exited ${r.status ?? r.signal}: ${out.trim().split('\n').pop() ?? ''})` };
  const prefix = env.GMXDATA ? join(env.GMXDATA, '..', '..') : /Data prefix:\s*(\S+)/.exec(out)?.[1] ?? '/usr';
  const topDir = join(prefix, 'share', 'gromacs', 'top');
  const mpi = /MPI library:\s*MPI\b/.test(out);
  return { executable, origin, version: v, engine: { name: 'gromacs', executable, version: v, topDir, mpi } };
}

/** GROMACS candidates in order (duplicates removed): the named one alone, else BACKMAP_GMX, GMX, GMXBIN/gmx, PATH. */
export function gromacsCandidates(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): { executable: string; origin: string }[] {
  if (configured) return [{ executable: configured, origin: 'configured' }];
  const out: { executable: string; origin: string }[] = [];
  if (env.BACKMAP_GMX) out.push({ executable: env.BACKMAP_GMX, origin: 'BACKMAP_GMX' });
  if (env.GMX) out.push({ executable: env.GMX, origin: 'GMX' });
  // GMXRC (the GROMACS environment script) sets GMXBIN
  if (env.GMXBIN) for (const n of ['gmx', 'gmx_mpi', 'gmx_d']) if (existsSync(join(env.GMXBIN, n))) out.push({ executable: join(env.GMXBIN, n), origin: 'GMXBIN' });
  for (const n of ['gmx', 'gmx_mpi', 'gmx_d']) out.push({ executable: n, origin: 'PATH' });
  const seen = new Set<string>();
  return out.filter((c) => !seen.has(c.executable) && seen.add(c.executable));
}

export function findGromacs(opts: { configured?: string; env?: NodeJS.ProcessEnv } = {}): { engine?: GromacsEngine; tried: EngineProbe[] } {
  const tried: EngineProbe[] = [];
  for (const c of gromacsCandidates(opts.configured, opts.env)) {
    const p = probeGromacs(c.executable, c.origin, opts.env);
    tried.push({ executable: p.executable, origin: p.origin, version: p.version, problem: p.problem });
    if (p.engine) return { engine: p.engine, tried };
  }
  return { tried };
}

const OPENMM_PROBE = [
  'import json, sys',
  'r = {"python": sys.version.split()[0]}',
  'try:',
  '    import openmm; r["openmm"] = openmm.Platform.getOpenMMVersion()',
  'except Exception as e:',
  '    r["error"] = str(e)',
  '    try:',
  '        from simtk import openmm; r["openmm"] = openmm.Platform.getOpenMMVersion()',
  '    except Exception:',
  '        pass',
  'print(json.dumps(r))',
].join('\n');

/** Runs the import probe in one interpreter. */
export function probeOpenmm(python: string, origin: string, env: NodeJS.ProcessEnv = process.env): EngineProbe {
  const r = spawnSync(python, ['-c', OPENMM_PROBE], { encoding: 'utf8', timeout: 60_000, windowsHide: true, env });
  if (r.error) return { executable: python, origin, problem: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message };
  let info: { python?: string; openmm?: string; error?: string };
  try {
    info = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  } catch {
    return { executable: python, origin, problem: `is not a Python 3 interpreter (exited ${r.status}: ${(r.stderr || '').trim().split('\n').pop() ?? ''})` };
  }
  if (!info.openmm) return { executable: python, origin, problem: `Python ${info.python} has no openmm (${info.error ?? 'import failed'})` };
  return { executable: python, origin, version: info.openmm };
}

export function findOpenmm(opts: { configured?: string; env?: NodeJS.ProcessEnv } = {}): { engine?: OpenmmEngine; tried: EngineProbe[] } {
  const tried: EngineProbe[] = [];
  for (const c of pythonCandidates(opts.configured, opts.env ?? process.env)) {
    const p = probeOpenmm(c.python, c.origin, opts.env);
    tried.push(p);
    if (!p.problem) return { engine: { name: 'openmm', executable: p.executable, version: p.version! }, tried };
  }
  return { tried };
}

const listTried = (tried: EngineProbe[]) => tried.map((p) => `${p.executable} (${p.origin}): ${p.problem}`).join('; ');

/**
 * The engine to run: the one asked for, or with `auto` GROMACS, else OpenMM. None → `SetupError` naming every
 * candidate tried and how to install either.
 */
export function findEngine(choice: EngineChoice, opts: { gmx?: string; python?: string; env?: NodeJS.ProcessEnv } = {}): Engine {
  const parts: string[] = [];
  if (choice !== 'openmm') {
    const g = findGromacs({ configured: opts.gmx, env: opts.env });
    if (g.engine) return g.engine;
    parts.push(`GROMACS: tried ${listTried(g.tried)}`);
  }
  if (choice !== 'gromacs') {
    const o = findOpenmm({ configured: opts.python, env: opts.env });
    if (o.engine) return o.engine;
    parts.push(`OpenMM: tried ${listTried(o.tried)}`);
  }
  const what = choice === 'auto' ? 'GROMACS or OpenMM' : choice === 'gromacs' ? 'GROMACS' : 'OpenMM (a Python with the openmm module)';
  const hints = [choice !== 'openmm' ? GROMACS_INSTALL : '', choice !== 'gromacs' ? OPENMM_INSTALL : ''].filter(Boolean).join(' ');
  return failSetup(`prepare needs ${what}; none found. ${parts.join('. ')}. Install ${hints}`);
}

function failSetup(message: string): never {
  throw new SetupError(message);
}
