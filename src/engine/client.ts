/**
 * Host side of the inference worker. Forks `dist/worker.js` (beside the bundle that contains this code, e.g.
 * dist/extension.js or dist/cli.js) or, from sources under tsx (tests), `src/engine/worker.ts` with
 * `--import tsx`. Requests run one at a time (a queue); progress and log events go to per-request callbacks.
 *
 * - Cancelling a request (AbortSignal or `cancel()`) kills the worker process and rejects with
 *   `CancelledError`; the next request starts a fresh worker.
 * - Training is cancelled differently: the worker is asked to abort the run (a `cancel` message), which kills the
 *   Python child, and the request rejects with `CancelledError` once the worker has answered (or with its result when
 *   the run had already completed). A worker that does not answer within `CANCEL_GRACE_MS` (busy in synchronous
 *   work, when no Python runs yet) is killed.
 * - A worker that exits or crashes (native abort, OOM, `process.exit`) rejects the running request with
 *   `WorkerCrashError`; the host is never affected, and the next request starts a fresh worker.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancelledError, InputError } from '../core/errors';
import type {
  BackmapSettings,
  BackmapStructureResult,
  BackmapTrajectoryRequest,
  BackmapTrajectoryResult,
  DebugRequest,
  MapToCgRequest,
  MapToCgResultMessage,
  SerializedError,
  StructureInput,
  TrainModelResult,
  TrainProgress,
  TrainSettings,
  HostMessage,
  WorkerEvent,
  WorkerRequest,
} from '../shared/worker-protocol';

export { CancelledError };

/** The inference worker exited or crashed while running a request (the host is unaffected). */
export class WorkerCrashError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
  ) {
    super(message);
    this.name = 'WorkerCrashError';
  }
}

/** An error raised inside the worker; InputErrors keep their file and line. */
export function deserializeError(e: SerializedError): Error {
  if (e.name === 'InputError' && e.file !== undefined) {
    const err = new InputError(e.message, e.file, e.line, e.column);
    // The message already carries the location prefix: keep it as the worker wrote it.
    err.message = e.message;
    return err;
  }
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

/** How long a worker asked to cancel a training run may take to answer before it is killed. */
export const CANCEL_GRACE_MS = 5000;

export interface RequestCallbacks {
  onProgress?(stage: string, fraction: number, detail?: string): void;
  /** trainModel: the trainer's progress (epoch, validation RMSD, minutes left). */
  onTrainProgress?(p: TrainProgress): void;
  onLog?(level: string, message: string): void;
  signal?: AbortSignal;
}

export interface EngineClientOptions {
  /** Worker entry (default: worker.js beside this bundle, else src/engine/worker.ts via tsx). */
  workerPath?: string;
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Working directory of the worker (default: the host's; relative paths in requests resolve against it). */
  cwd?: string;
  /** Receives worker stderr and lifecycle messages, and the log events of requests that have no `onLog`. */
  log?(message: string): void;
}

export type StructureResult = BackmapStructureResult;
export type MapResult = MapToCgResultMessage;

type Token = { cancelled: boolean };

type Pending = {
  id: number;
  token: Token;
  resolve(v: unknown): void;
  reject(e: Error): void;
  cb: RequestCallbacks;
  /** Cancelled by asking the worker (training), not by killing it. */
  graceful: boolean;
  /** Kills a worker that has not answered a cancel in time. */
  graceTimer?: NodeJS.Timeout;
};

/** A request without its id (distributes over the union). */
type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

const here = (): string => (typeof __dirname !== 'undefined' ? __dirname : process.cwd());

/** Where the worker is and how to start it. */
export function resolveWorker(opts: EngineClientOptions = {}): { path: string; execArgv: string[] } {
  if (opts.workerPath) {
    const ts = opts.workerPath.endsWith('.ts');
    return { path: opts.workerPath, execArgv: opts.execArgv ?? (ts ? tsxArgv() : []) };
  }
  const dir = here();
  const bundled = join(dir, 'worker.js');
  if (existsSync(bundled)) return { path: bundled, execArgv: opts.execArgv ?? [] };
  const source = join(dir, 'worker.ts');
  if (existsSync(source)) return { path: source, execArgv: opts.execArgv ?? tsxArgv() };
  const fromRoot = join(process.cwd(), 'dist', 'worker.js');
  if (existsSync(fromRoot)) return { path: fromRoot, execArgv: opts.execArgv ?? [] };
  throw new Error(`inference worker not found beside ${dir} (run "npm run build")`);
}

function tsxArgv(): string[] {
  try {
    const req = createRequire(join(here(), 'index.js'));
    return ['--import', pathToFileURL(req.resolve('tsx')).href];
  } catch {
    return ['--import', 'tsx'];
  }
}

export class EngineClient {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private current: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private disposed = false;
  private starting: Token | null = null;
  private tokens: Token[] = [];
  /** Workers started so far (tests check that a crash or cancel led to a new one). */
  starts = 0;

  constructor(private readonly opts: EngineClientOptions = {}) {}

  /** Process id of the running worker, or null. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  private log(msg: string): void {
    this.opts.log?.(msg);
  }

  private start(): Promise<void> {
    if (this.child && this.ready) return this.ready;
    const { path, execArgv } = resolveWorker(this.opts);
    const child = fork(path, [], {
      execArgv,
      env: this.opts.env ?? process.env,
      cwd: this.opts.cwd,
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.starts++;
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => this.log(`[worker] ${d.toString().trimEnd()}`));
    child.stderr?.on('data', (d: Buffer) => this.log(`[worker] ${d.toString().trimEnd()}`));
    this.ready = new Promise<void>((resolve, reject) => {
      const onReady = (ev: WorkerEvent) => {
        if (ev.type === 'ready') {
          child.off('message', onReady);
          this.log(`inference worker ${ev.pid} started (${path})`);
          resolve();
        }
      };
      child.on('message', onReady);
      child.once('error', (e) => reject(e));
      child.once('exit', (code, signal) => reject(new WorkerCrashError(describeExit(code, signal, 'before it was ready'), code, signal)));
    });
    child.on('message', (ev: WorkerEvent) => this.onEvent(child, ev));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    child.on('error', (e) => this.log(`inference worker error: ${e.message}`));
    // An unanswered ready promise must not become an unhandled rejection.
    this.ready.catch(() => {});
    return this.ready;
  }

  private onEvent(child: ChildProcess, ev: WorkerEvent): void {
    if (child !== this.child) return;
    const p = this.current;
    if (!p || ev.id !== p.id) return;
    switch (ev.type) {
      case 'progress':
        p.cb.onProgress?.(ev.stage, ev.fraction, ev.detail);
        if (ev.train) p.cb.onTrainProgress?.(ev.train);
        break;
      case 'log':
        // One place per line: the request's own handler when it has one (the editor's log channel got every line
        // twice otherwise), else the client's log.
        if (p.cb.onLog) p.cb.onLog(ev.level, ev.message);
        else this.log(ev.message);
        break;
      case 'result':
        this.current = null;
        p.resolve(ev.result);
        break;
      case 'error':
        this.current = null;
        // Asked to stop: however the run ended (the trainer's own CancelledError, Python killed), it was cancelled.
        p.reject(p.token.cancelled ? new CancelledError(cancelledMessage(p)) : deserializeError(ev.error));
        break;
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = null;
    this.ready = null;
    const p = this.current;
    this.current = null;
    this.log(`${describeExit(code, signal)} (pid ${child.pid})`);
    if (p) p.reject(p.token.cancelled ? new CancelledError(cancelledMessage(p)) : new WorkerCrashError(describeExit(code, signal, 'while running a request'), code, signal));
  }

  /** Sends one request and waits for its result; requests run one after another. */
  private request<T>(body: RequestBody, cb: RequestCallbacks = {}, graceful = false): Promise<T> {
    // One token per request, in queue order; cancel() marks the oldest unfinished one.
    const token: Token = { cancelled: false };
    this.tokens.push(token);
    const run = async (): Promise<T> => {
      if (this.disposed) throw new Error('engine client disposed');
      if (cb.signal?.aborted || token.cancelled) throw new CancelledError();
      this.starting = token;
      const onEarlyAbort = () => this.cancel(token);
      cb.signal?.addEventListener('abort', onEarlyAbort, { once: true });
      try {
        await this.start();
      } catch (e) {
        // Killed on purpose while starting: that is a cancellation, not a crash.
        if (token.cancelled) throw new CancelledError();
        throw e;
      } finally {
        this.starting = null;
        cb.signal?.removeEventListener('abort', onEarlyAbort);
      }
      if (token.cancelled || cb.signal?.aborted) throw new CancelledError();
      const child = this.child;
      if (!child) throw new WorkerCrashError('the inference worker exited before the request could be sent', null, null);
      const id = this.nextId++;
      return new Promise<T>((resolve, reject) => {
        const onAbort = () => this.cancel(token);
        const p: Pending = {
          id,
          cb,
          token,
          graceful,
          resolve: (v) => {
            clearTimeout(p.graceTimer);
            cb.signal?.removeEventListener('abort', onAbort);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(p.graceTimer);
            cb.signal?.removeEventListener('abort', onAbort);
            reject(e);
          },
        };
        this.current = p;
        cb.signal?.addEventListener('abort', onAbort, { once: true });
        child.send({ ...body, id } as WorkerRequest, (err) => {
          if (err && this.current?.id === id) {
            this.current = null;
            reject(new WorkerCrashError(`could not send to the inference worker: ${err.message}`, null, null));
          }
        });
      });
    };
    const result = this.queue.then(run, run).finally(() => {
      const k = this.tokens.indexOf(token);
      if (k >= 0) this.tokens.splice(k, 1);
    });
    this.queue = result.catch(() => {});
    return result;
  }

  backmapStructure(
    input: StructureInput,
    settings: BackmapSettings = {},
    extra: { reference?: StructureInput; out?: string; force?: boolean; chain?: string[] } & RequestCallbacks = {},
  ): Promise<StructureResult> {
    const { onProgress, onLog, signal, ...rest } = extra;
    return this.request<StructureResult>({ type: 'backmapStructure', input, settings, ...rest }, { onProgress, onLog, signal });
  }

  backmapTrajectory(req: Omit<BackmapTrajectoryRequest, 'id' | 'type'>, cb: RequestCallbacks = {}): Promise<BackmapTrajectoryResult> {
    return this.request<BackmapTrajectoryResult>({ type: 'backmapTrajectory', ...req }, cb);
  }

  mapToCg(req: Omit<MapToCgRequest, 'id' | 'type'>, cb: RequestCallbacks = {}): Promise<MapResult> {
    return this.request<MapResult>({ type: 'mapToCg', ...req }, cb);
  }

  /**
   * Trains a model (src/core/training `trainModel`) in the worker. The trainer's log lines arrive through `onLog`
   * (level info), its progress through `onTrainProgress` (and `onProgress` with its phase as the stage). Cancelling
   * asks the worker to abort, which kills the Python child; nothing is written then.
   */
  trainModel(options: TrainSettings, cb: RequestCallbacks = {}): Promise<TrainModelResult> {
    return this.request<TrainModelResult>({ type: 'trainModel', options }, cb, true);
  }

  /** Test-only: make the worker exit, abort, throw or hang. */
  debug(action: DebugRequest['action'], code?: number, cb: RequestCallbacks = {}): Promise<{ pid: number }> {
    return this.request<{ pid: number }>({ type: 'debug', action, code }, cb);
  }

  /**
   * Cancels a request (default: the oldest unfinished one): a running one kills the worker; one whose worker
   * is starting kills that start; a queued one is dropped when its turn comes. It rejects with CancelledError.
   */
  cancel(token: Token | undefined = this.tokens[0]): void {
    if (!token || token.cancelled) return;
    token.cancelled = true;
    const p = this.current;
    if (p && p.token === token) {
      const child = this.child;
      if (p.graceful && child?.connected) {
        // The worker stops the run itself (its Python child with it) and answers; the request stays current until
        // then, so the next one does not start beside a run that is still stopping.
        this.log(`asking the inference worker to stop request ${p.id}`);
        child.send({ type: 'cancel', id: p.id } satisfies HostMessage, () => {});
        p.graceTimer = setTimeout(() => {
          if (this.current !== p) return;
          this.log(`the inference worker did not stop request ${p.id} within ${CANCEL_GRACE_MS} ms: killing it`);
          this.current = null;
          this.kill();
          p.reject(new CancelledError(cancelledMessage(p)));
        }, CANCEL_GRACE_MS);
        return;
      }
      this.current = null;
      this.kill();
      p.reject(new CancelledError(cancelledMessage(p)));
    } else if (this.starting === token) this.kill();
  }

  private kill(): void {
    const child = this.child;
    this.child = null;
    this.ready = null;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /** Stops the worker; later requests are refused. */
  dispose(): void {
    this.disposed = true;
    const p = this.current;
    const child = this.child;
    if (p?.graceful && child?.connected) {
      // Closing the channel makes the worker abort its runs (killing a training run's Python child) and exit; it is
      // killed only if it is still there after the grace period.
      this.current = null;
      this.child = null;
      this.ready = null;
      p.token.cancelled = true;
      child.disconnect();
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }, CANCEL_GRACE_MS).unref();
      p.reject(new CancelledError(cancelledMessage(p)));
    }
    for (const t of [...this.tokens]) this.cancel(t);
    this.kill();
  }
}

const cancelledMessage = (p: Pending) => (p.graceful ? 'training cancelled' : 'backmapping cancelled');

function describeExit(code: number | null, signal: NodeJS.Signals | null, when = ''): string {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return `inference worker ${how}${when ? ` ${when}` : ''}`;
}
