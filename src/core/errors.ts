/**
 * Errors the user can act on. Everything that reads user input throws `InputError` with the file and
 * (1-based) line, so the CLI, the extension and the language server can point at the exact place.
 * Anything else that escapes is an internal bug (CLI exit code 2).
 */
export class InputError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(InputError.format(message, file, line, column));
    this.name = 'InputError';
  }

  /** The message without the location prefix. */
  get detail(): string {
    return this.message.replace(/^[^:]*(:\d+)?(:\d+)?: /, '');
  }

  static format(message: string, file: string, line?: number, column?: number): string {
    const where = line ? `${file}:${line}${column ? `:${column}` : ''}` : file;
    return `${where}: ${message}`;
  }
}

/** A bad option value or combination (the CLI exits 1, as for bad input; the editor shows the message). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Something to install or configure before the command can run (training's Python with PyTorch): not a bug and not
 * a file's fault; the message says what is missing and how to get it.
 */
export class SetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SetupError';
  }
}

/** Non-fatal problems found while reading or mapping (the result is still sound). */
export interface InputWarning {
  message: string;
  file: string;
  line?: number;
}

/** A run stopped on request (AbortSignal); the worker client raises it too when it kills a busy worker. */
export class CancelledError extends Error {
  constructor(message = 'backmapping cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

export const isInputError = (e: unknown): e is InputError => e instanceof InputError;
