/** `backmap train`: a model for the user's own mapping from all-atom frames (src/core/training). */
import { basename } from 'node:path';
import type { InputWarning } from '../core/errors';
import { trainModel } from '../core/training';
import { UsageError, type CliIO, type CliOptions } from './options';

const where = (file: string, line?: number) => (line ? `${file}:${line}` : file);

export async function train([topology]: string[], opts: CliOptions, io: CliIO): Promise<void> {
  if (!topology) throw new UsageError('missing the all-atom topology (PDB/GRO/CIF; a multi-model PDB is a trajectory of its own)');
  if (!opts.mapping) throw new UsageError('missing --mapping <set|folder>: the mapping the model will read');
  if (!opts.output) throw new UsageError('missing -o <model.onnx>');
  const minutes = opts.minutes === undefined ? 5 : Number(opts.minutes);
  if (!Number.isFinite(minutes) || minutes <= 0) throw new UsageError(`--minutes expects a positive number, got '${opts.minutes}'`);
  if (opts.target !== undefined && opts.target !== 'ca' && opts.target !== 'atoms') throw new UsageError(`--target must be ca or atoms (got '${opts.target}')`);
  if (opts.device !== undefined && opts.device !== 'cpu' && opts.device !== 'cuda') throw new UsageError(`train --device must be cpu or cuda (got '${opts.device}')`);
  const controller = new AbortController();
  // Ctrl-C stops PyTorch and removes the scratch folder: no half-written model is left behind.
  const onSigint = () => {
    io.err('\ncancelling: stopping the training, no model will be written\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  let lastPhase = '';
  let lastValidation: number | undefined;
  try {
    const result = await trainModel(
      {
        topology,
        trajectory: opts.trajectory,
        frames: opts.frames,
        mapping: opts.mapping,
        out: opts.output,
        minutes,
        device: opts.device as 'cpu' | 'cuda' | undefined,
        init: opts.init,
        target: opts.target as 'ca' | 'atoms' | undefined,
        noise: opts.noise === undefined ? undefined : Number(opts.noise),
        python: opts.python,
        force: opts.force,
        policy: { mappingWarnings: opts['allow-warnings'] ? 'allow' : 'refuse' },
        warn: (w: InputWarning) => io.err(`warning: ${where(w.file, w.line)}: ${w.message}\n`),
        log: (line) => {
          if (opts.verbose) io.err(`${line}\n`);
        },
      },
      {
        signal: controller.signal,
        progress: (p) => {
          if (io.tty) return io.err(`\r${p.phase} ${(p.fraction * 100).toFixed(0)}% ${p.message}`.padEnd(80));
          // Without a terminal: a line per phase and per new validation figure, not per step.
          if (p.phase !== lastPhase) io.err(`${p.message}\n`);
          else if (p.validationRmsd !== undefined && p.validationRmsd !== lastValidation) io.err(`${p.message}\n`);
          lastPhase = p.phase;
          lastValidation = p.validationRmsd;
        },
      },
    );
    if (io.tty) io.err('\n');
    const v = result.validation;
    io.out(
      `trained ${result.card.id} in ${(result.seconds / 60).toFixed(1)} min on ${result.frames.train} frame(s), ${result.frames.validation} held out for validation` +
        (v ? `: validation ${result.card.stage?.gives === 'ca' ? 'C-alpha' : 'heavy-atom'} RMSD median ${v.median.toFixed(3)} Å (mean ${v.mean.toFixed(3)})` : '') +
        ` → ${result.onnxPath} (+ card ${basename(result.cardPath)})\n`,
    );
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
