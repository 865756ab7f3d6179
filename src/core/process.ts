/**
 * One external command (a `gmx` tool, the OpenMM script, training's train.py/export.py): run in its own process
 * group so Cancel reaches everything it started (train.py's data-parallel workers too), its output streamed line by
 * line to the caller and kept (the parsers read it; a failure shows the last lines).
 */
import { spawn } from 'node:child_process';
import { CancelledError } from './errors';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved as they came. */
  output: string;
  /** The last lines (for error messages). */
  tail: string[];
}

/** Kept output is capped: pdb2gmx on a large system talks a lot, and the parsers read its end (errors, totals). */
const MAX_KEPT = 4 << 20;

export function runProcess(
  executable: string,
  args: string[],
  opts: {
    cwd: string;
    env?: NodeJS.ProcessEnv;
    stdin?: string;
    signal?: AbortSignal;
    onLine?: (line: string) => void;
    /** The CancelledError's message when `signal` stops it (default 'cancelled'). */
    cancelled?: string;
  },
): Promise<ProcessResult> {
  if (opts.signal?.aborted) return Promise.reject(new CancelledError(opts.cancelled ?? 'cancelled'));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(executable, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    let output = '';
    const tail: string[] = [];
    const feed = (stream: NodeJS.ReadableStream) => {
      let buf = '';
      stream.setEncoding('utf8');
      const line = (l: string) => {
        tail.push(l);
        if (tail.length > 40) tail.shift();
        opts.onLine?.(l);
      };
      stream.on('data', (chunk: string) => {
        output += chunk;
        if (output.length > 2 * MAX_KEPT) output = output.slice(-MAX_KEPT); // keep the end
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          line(buf.slice(0, nl).replace(/\r$/, ''));
          buf = buf.slice(nl + 1);
        }
      });
      stream.on('end', () => buf && line(buf));
    };
    feed(child.stdout!);
    feed(child.stderr!);
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    let cancelled = false;
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        child.kill('SIGKILL');
      }
    };
    const kill = () => {
      cancelled = true;
      signalGroup('SIGTERM');
      // an engine that ignores SIGTERM is killed a few seconds later
      const hard = setTimeout(() => child.exitCode === null && child.signalCode === null && signalGroup('SIGKILL'), 5000);
      hard.unref();
    };
    opts.signal?.addEventListener('abort', kill, { once: true });
    child.on('error', (e) => {
      opts.signal?.removeEventListener('abort', kill);
      reject(e);
    });
    child.on('close', (code, signal) => {
      opts.signal?.removeEventListener('abort', kill);
      if (cancelled) reject(new CancelledError(opts.cancelled ?? 'cancelled'));
      else resolvePromise({ code, signal, output, tail });
    });
  });
}
