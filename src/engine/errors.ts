/** Engine errors shared by the pipeline (in-process or in the worker) and the worker client (host side). */
export class CancelledError extends Error {
  constructor(message = 'backmapping cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

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
