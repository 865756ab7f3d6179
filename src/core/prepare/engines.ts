/**
 * Finding the user's simulation engine for `backmap prepare`: GROMACS (`gmx`, its MPI and double-precision builds)
 * or OpenMM (a Python that imports `openmm`, found like training's Python: src/core/training/python.ts). A named
 * executable (--gmx / --python, the editor's settings) is the only one tried, so a wrong setting is not papered over.
 * Probes run asynchronously (the editor's extension host must not wait on a Python importing openmm) and stop with
 * the run's cancel signal.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, SetupError } from '../errors';
import { runProcess } from '../process';
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

/** What a probe's command printed, or why it could not run (not found, timed out). */
async function probe(executable: string, args: string[], env: NodeJS.ProcessEnv, seconds: number, signal?: AbortSignal): Promise<{ code: number | null; output: string } | { problem: string }> {
  const timer = new AbortController();
  const t = setTimeout(() => timer.abort(), seconds * 1000);
  const stop = () => timer.abort();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const r = await runProcess(executable, args, { cwd: tmpdir(), env, signal: timer.signal });
    return { code: r.code, output: r.output };
  } catch (e) {
    if (e instanceof CancelledError) {
      if (signal?.aborted) throw new CancelledError('cancelled');
      return { problem: `did not answer within ${seconds} s` };
    }
    const err = e as NodeJS.ErrnoException;
    return { problem: err.code === 'ENOENT' ? 'not found' : err.message };
  } finally {
    clearTimeout(t);
    signal?.removeEventListener('abort', stop);
  }
}

/** Runs `<exe> --version` and reads the version, data prefix and MPI flavour. */
export async function probeGromacs(executable: string, origin: string, env: NodeJS.ProcessEnv = process.env, signal?: AbortSignal): Promise<EngineProbe & { engine?: GromacsEngine }> {
  const r = await probe(executable, ['-quiet', '--version'], env, 30, signal);
  if ('problem' in r) return { executable, origin, problem: r.problem };
  const out = r.output;
  const v = version(out);
  if (r.code !== 0 || !v) return { executable, origin, problem: `is not GROMACS (\`${executable} --version\` exited ${r.code}: ${out.trim().split('\n').pop() ?? ''})` };
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

export async function findGromacs(opts: { configured?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<{ engine?: GromacsEngine; tried: EngineProbe[] }> {
  const tried: EngineProbe[] = [];
  for (const c of gromacsCandidates(opts.configured, opts.env)) {
    const p = await probeGromacs(c.executable, c.origin, opts.env, opts.signal);
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
export async function probeOpenmm(python: string, origin: string, env: NodeJS.ProcessEnv = process.env, signal?: AbortSignal): Promise<EngineProbe> {
  const r = await probe(python, ['-c', OPENMM_PROBE], env, 60, signal);
  if ('problem' in r) return { executable: python, origin, problem: r.problem };
  let info: { python?: string; openmm?: string; error?: string };
  try {
    // the probe's one JSON line (stderr, interleaved, may carry an import's warnings)
    info = JSON.parse(r.output.split('\n').reverse().find((l) => l.startsWith('{"python"')) ?? '');
  } catch {
    return { executable: python, origin, problem: `is not a Python 3 interpreter (exited ${r.code}: ${r.output.trim().split('\n').pop() ?? ''})` };
  }
  if (!info.openmm) return { executable: python, origin, problem: `Python ${info.python} has no openmm (${info.error ?? 'import failed'})` };
  return { executable: python, origin, version: info.openmm };
}

export async function findOpenmm(opts: { configured?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<{ engine?: OpenmmEngine; tried: EngineProbe[] }> {
  const tried: EngineProbe[] = [];
  for (const c of pythonCandidates(opts.configured, opts.env ?? process.env)) {
    const p = await probeOpenmm(c.python, c.origin, opts.env, opts.signal);
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
export async function findEngine(choice: EngineChoice, opts: { gmx?: string; python?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<Engine> {
  const parts: string[] = [];
  if (choice !== 'openmm') {
    const g = await findGromacs({ configured: opts.gmx, env: opts.env, signal: opts.signal });
    if (g.engine) return g.engine;
    parts.push(`GROMACS: tried ${listTried(g.tried)}`);
  }
  if (choice !== 'gromacs') {
    const o = await findOpenmm({ configured: opts.python, env: opts.env, signal: opts.signal });
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
