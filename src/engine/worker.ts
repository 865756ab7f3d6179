/**
 * Inference worker: a `child_process.fork` child (bundled as dist/worker.js) that runs the pipeline off the
 * host's main thread and owns the onnxruntime sessions (cached per model + device). Messages are typed in
 * src/shared/worker-protocol.ts; the channel uses 'advanced' serialization so structures travel as typed arrays.
 * Cancellation and crashes are handled by the host killing/observing this process (src/engine/client.ts).
 */
import { InputError } from '../core/errors';
import { parseStructure, readStructureFile } from '../core/structure/read';
import { writeStructureFile } from '../core/structure/write';
import type { Structure } from '../core/structure/types';
import type { SerializedError, StructureInput, WorkerEvent, WorkerRequest } from '../shared/worker-protocol';
import { backmapStructure, backmapTrajectory, mapStructureToCg, releaseCachedSessions } from './pipeline';
import { renderReport } from './report';

const send = (ev: WorkerEvent): void => {
  process.send?.(ev);
};

export function serializeError(e: unknown): SerializedError {
  if (e instanceof InputError) return { name: e.name, message: e.message, file: e.file, line: e.line, column: e.column, stack: e.stack };
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

function readInput(input: StructureInput): { structure: Structure; ms: number } {
  const t = performance.now();
  let structure: Structure;
  if ('structure' in input) structure = input.structure;
  else if ('path' in input) structure = readStructureFile(input.path);
  else structure = parseStructure(input.text, input.source, input.format);
  return { structure, ms: performance.now() - t };
}

const controllers = new Map<number, AbortController>();

async function handle(req: WorkerRequest): Promise<void> {
  const id = req.id;
  const progress = (stage: string, fraction: number, detail?: string) => send({ type: 'progress', id, stage, fraction, detail });
  const log = (message: string) => send({ type: 'log', id, level: 'info', message });
  switch (req.type) {
    case 'cancel': {
      controllers.get(req.target)?.abort();
      return;
    }
    case 'debug': {
      // Test hooks: prove that hosts survive a misbehaving worker.
      if (req.action === 'exit') process.exit(req.code ?? 3);
      if (req.action === 'abort') process.abort();
      if (req.action === 'throw') throw new Error('debug: deliberate worker error');
      if (req.action === 'hang') {
        // Busy loop: the worker stops answering, only a kill ends it.
        for (;;) {
          /* spin */
        }
      }
      send({ type: 'result', id, result: { pid: process.pid } });
      return;
    }
    case 'backmapStructure': {
      const ac = new AbortController();
      controllers.set(id, ac);
      try {
        progress('parse', 0);
        const { structure, ms } = readInput(req.input);
        const reference = req.reference ? readInput(req.reference).structure : undefined;
        const output = await backmapStructure(structure, { ...req.settings, reference, parseMs: ms, cacheSession: true, log }, { progress, signal: ac.signal });
        let written: string | undefined;
        if (req.out) {
          const t = performance.now();
          const protect = 'path' in req.input ? [req.input.path] : [];
          if (req.reference && 'path' in req.reference) protect.push(req.reference.path);
          writeStructureFile(req.out, output.structure, { force: req.force, protect });
          output.report.timings.write = performance.now() - t;
          written = req.out;
        }
        send({ type: 'result', id, result: { output, written, markdown: renderReport(output) } });
      } finally {
        controllers.delete(id);
      }
      return;
    }
    case 'backmapTrajectory': {
      const ac = new AbortController();
      controllers.set(id, ac);
      try {
        const result = await backmapTrajectory(
          {
            ...req.settings,
            topology: req.topology,
            trajectory: req.trajectory,
            out: req.out,
            format: req.format,
            force: req.force,
            maxFrames: req.maxFrames,
            stride: req.stride,
            cacheSession: true,
            log,
          },
          { progress, signal: ac.signal },
        );
        send({ type: 'result', id, result });
      } finally {
        controllers.delete(id);
      }
      return;
    }
    case 'mapToCg': {
      const { structure } = readInput(req.input);
      const r = mapStructureToCg(structure, req.mapping, { chain: req.chain, residueNameMap: req.residueNameMap });
      let written: string | undefined;
      if (req.out) {
        writeStructureFile(req.out, r.cg, { force: req.force, protect: 'path' in req.input ? [req.input.path] : [] });
        written = req.out;
      }
      send({ type: 'result', id, result: { cg: r.cg, report: r.report, mappingId: r.mappingId, ms: r.ms, written } });
      return;
    }
  }
}

if (process.send) {
  process.on('message', (req: WorkerRequest) => {
    handle(req).catch((e) => send({ type: 'error', id: req.id, error: serializeError(e) }));
  });
  process.on('disconnect', () => {
    // The host went away: free native sessions and leave.
    void releaseCachedSessions().finally(() => process.exit(0));
  });
  send({ type: 'ready', id: 0, pid: process.pid });
}
