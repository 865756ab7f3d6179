/**
 * Finding a Python with PyTorch for `backmap train` (training only: inference never needs Python). HEroBM has the
 * same requirement. Candidates, in order: the interpreter the user named (--python, the editor's
 * `backmapStudio.training.python`, BACKMAP_PYTHON), an active virtualenv or conda environment, `python3` and
 * `python` on PATH, then Debian's /usr/bin/python3. The first with torch and numpy wins; when none has them, the
 * error lists what each candidate lacked and how to install it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface PythonProbe {
  python: string;
  /** Where the candidate came from ("--python", "VIRTUAL_ENV", "PATH", …). */
  origin: string;
  version?: string;
  torch?: string;
  numpy?: string;
  cuda?: boolean;
  /** Why it cannot train (absent when it can). */
  problem?: string;
}

export interface PythonCheck {
  ok: boolean;
  /** The interpreter to use (when ok). */
  python?: string;
  probe?: PythonProbe;
  /** Every candidate tried, in order. */
  tried: PythonProbe[];
  /** When not ok: what is missing and how to get it, one paragraph. */
  message?: string;
}

const PROBE = [
  'import json, sys',
  'r = {"version": sys.version.split()[0]}',
  'try:',
  '    import numpy; r["numpy"] = numpy.__version__',
  'except Exception as e: r["numpyError"] = str(e)',
  'try:',
  '    import torch; r["torch"] = torch.__version__; r["cuda"] = bool(torch.cuda.is_available())',
  'except Exception as e: r["torchError"] = str(e)',
  'print(json.dumps(r))',
].join('\n');

export const INSTALL_HINT =
  'Install PyTorch and numpy for a Python 3 (CPU is enough): Debian/Ubuntu `sudo apt install python3-torch python3-numpy`; ' +
  'pip `python3 -m pip install torch numpy` (CPU wheels: add `--index-url https://download.pytorch.org/whl/cpu`); ' +
  'conda `conda install pytorch numpy -c pytorch`. Then name that interpreter with --python (editor: the ' +
  'backmapStudio.training.python setting) or BACKMAP_PYTHON, or activate its environment.';

/** Runs the probe in one interpreter. */
export function probePython(python: string, origin: string): PythonProbe {
  const r = spawnSync(python, ['-c', PROBE], { encoding: 'utf8', timeout: 60_000, windowsHide: true });
  if (r.error) return { python, origin, problem: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message };
  if (r.status !== 0) return { python, origin, problem: `exited with ${r.status}: ${(r.stderr || '').trim().split('\n').pop() ?? ''}` };
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  } catch {
    return { python, origin, problem: 'is not a Python 3 interpreter (no probe output)' };
  }
  const p: PythonProbe = { python, origin, version: String(info.version ?? ''), torch: info.torch as string | undefined, numpy: info.numpy as string | undefined, cuda: info.cuda as boolean | undefined };
  const [major, minor] = (p.version ?? '').split('.').map(Number);
  if (!(major === 3 && minor >= 8)) p.problem = `Python ${p.version}: 3.8 or newer is needed`;
  else if (!p.torch) p.problem = `Python ${p.version} has no torch (${String(info.torchError ?? 'import failed')})`;
  else if (!p.numpy) p.problem = `Python ${p.version} has no numpy (${String(info.numpyError ?? 'import failed')})`;
  else {
    const [tMajor, tMinor] = p.torch.split('.').map((x) => parseInt(x, 10));
    if (tMajor < 1 || (tMajor === 1 && tMinor < 13)) p.problem = `torch ${p.torch} is older than 1.13`;
  }
  return p;
}

/** The candidates in order (duplicates removed). */
export function pythonCandidates(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): { python: string; origin: string }[] {
  const bin = process.platform === 'win32' ? ['Scripts', 'python.exe'] : ['bin', 'python'];
  const out: { python: string; origin: string }[] = [];
  if (configured) return [{ python: configured, origin: 'configured' }];
  if (env.BACKMAP_PYTHON) return [{ python: env.BACKMAP_PYTHON, origin: 'BACKMAP_PYTHON' }];
  if (env.VIRTUAL_ENV) out.push({ python: join(env.VIRTUAL_ENV, ...bin), origin: 'VIRTUAL_ENV' });
  if (env.CONDA_PREFIX) out.push({ python: process.platform === 'win32' ? join(env.CONDA_PREFIX, 'python.exe') : join(env.CONDA_PREFIX, 'bin', 'python'), origin: 'CONDA_PREFIX' });
  out.push({ python: 'python3', origin: 'PATH' }, { python: 'python', origin: 'PATH' });
  if (process.platform !== 'win32' && existsSync('/usr/bin/python3')) out.push({ python: '/usr/bin/python3', origin: 'system' });
  const seen = new Set<string>();
  return out.filter((c) => !seen.has(c.python) && seen.add(c.python));
}

/**
 * The first candidate that can train. A configured interpreter is the only one tried (a wrong setting should not
 * be papered over by another Python). `needCuda`: torch must see a CUDA device.
 */
export function findPython(opts: { configured?: string; env?: NodeJS.ProcessEnv; needCuda?: boolean } = {}): PythonCheck {
  const tried: PythonProbe[] = [];
  for (const c of pythonCandidates(opts.configured, opts.env)) {
    const p = probePython(c.python, c.origin);
    if (!p.problem && opts.needCuda && !p.cuda) p.problem = `torch ${p.torch} sees no CUDA device (train with --device cpu, or install a CUDA build of torch)`;
    tried.push(p);
    if (!p.problem) return { ok: true, python: p.python, probe: p, tried };
  }
  const list = tried.map((p) => `${p.python} (${p.origin}): ${p.problem}`).join('; ');
  return { ok: false, tried, message: `training needs Python 3 with PyTorch and numpy; none found. Tried ${list}. ${INSTALL_HINT}` };
}
