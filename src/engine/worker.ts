/**
 * Inference worker: a `child_process.fork` child (bundled as dist/worker.js) that runs the pipeline
 * (src/core/pipeline) off the host's main thread and owns the onnxruntime sessions (cached per model + device).
 * Messages are typed in src/shared/worker-protocol.ts; the channel uses 'advanced' serialization so structures
 * travel as typed arrays, and results carry what the host shows (it never reads the files again).
 * Cancellation and crashes are handled by the host killing/observing this process (src/engine/client.ts); training is
 * the exception: the host sends `cancel`, and the run's AbortSignal kills its Python child before the run ends.
 */
import { InputError, type InputWarning } from '../core/errors';
import { parseStructure, readStructureFile } from '../core/structure/read';
import { assertWritable, writeStructureFile } from '../core/structure/write';
import type { Structure } from '../core/structure/types';
import { releaseCachedSessions } from '../core/model/backmapper';
import {
  backmapChain,
  backmapStructure,
  backmapTrajectory,
  chainForInput,
  chainInput,
  framesFormatOf,
  mapStructureToCg,
  needsChain,
  renderReport,
  withWorkspaceMapping,
  type BackmapOptions,
  type BackmapOutput,
  type ChainStage,
  type Hooks,
  type TrajectoryResult,
} from '../core/pipeline';
import { isUcgStructureFile } from '../core/ucg/map';
import { trainModel } from '../core/training';
import type {
  BackmapSettings,
  BackmapStructureRequest,
  BackmapStructureResult,
  BackmapTrajectoryRequest,
  HostMessage,
  MapToCgResultMessage,
  SerializedError,
  StructureInput,
  WorkerEvent,
  WorkerRequest,
} from '../shared/worker-protocol';

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

/**
 * Run options of a chain: the settings without model and mapping choice (each stage's card names its own). Hydrogens
 * as asked, on every frame (the chain applies its first frame's protonation to all).
 */
function chainOptions(settings: BackmapSettings, log: (m: string) => void, warn: (w: InputWarning) => void): BackmapOptions {
  const { model: _model, modelDirs: _dirs, mapping: _mapping, workspaceMappings: _ws, ...rest } = settings;
  return { ...rest, cacheSession: true, log, warn };
}

/** "Backmap this PDB" through a chain: every model of the input, written as one structure or a multi-model PDB. */
async function backmapChainStructure(
  req: BackmapStructureRequest,
  structure: Structure,
  stages: ChainStage[],
  extra: { reference?: Structure; parseMs: number; log: (m: string) => void; warn: (w: InputWarning) => void; hooks: Hooks },
): Promise<BackmapStructureResult> {
  const protect = [...pathOf(req.input), ...pathOf(req.reference)];
  // Refused before the models run, as the ordinary path's writer refuses after.
  if (req.out) assertWritable(req.out, { force: req.force, protect });
  const input = chainInput(structure);
  const r = await backmapChain(input, stages, { ...chainOptions(req.settings, extra.log, extra.warn), reference: extra.reference, parseMs: extra.parseMs }, extra.hooks);
  const output: BackmapOutput = { structure: r.structure, report: r.report, torsions: r.torsions };
  let written: string | undefined;
  if (req.out) {
    const t = performance.now();
    writeStructureFile(req.out, r.structure, { force: req.force, protect, models: r.frames.length > 1 ? r.frames.map((f) => f.coords) : undefined });
    output.report.timings.write = performance.now() - t;
    written = req.out;
  }
  return { output, input: structure, written, markdown: renderReport(output) };
}

/** "Backmap trajectory…" through a chain: the selected frames (models or trajectory) → one multi-model PDB. */
async function backmapChainTrajectory(
  req: BackmapTrajectoryRequest,
  top: Structure,
  stages: ChainStage[],
  extra: { log: (m: string) => void; warn: (w: InputWarning) => void; hooks: Hooks },
): Promise<TrajectoryResult> {
  const t0 = performance.now();
  const protect = [req.topology, req.trajectory ?? ''].filter(Boolean);
  if (framesFormatOf(req.out, req.format) !== 'pdb')
    throw new InputError('a chain of models writes its frames as a multi-model PDB: choose a .pdb output', req.out);
  assertWritable(req.out, { force: req.force, protect });
  const input = chainInput(top, req.trajectory, { stride: req.stride, maxFrames: req.maxFrames });
  const r = await backmapChain(input, stages, chainOptions(req.settings, extra.log, extra.warn), extra.hooks);
  const models = r.frames.map((f) => f.coords);
  const t = performance.now();
  writeStructureFile(req.out, r.structure, { force: req.force, protect, models });
  r.report.timings.write = performance.now() - t;
  const seconds = (performance.now() - t0) / 1000;
  return {
    frames: models.length,
    framesPerSecond: models.length / seconds,
    seconds,
    out: req.out,
    report: r.report,
    topology: top,
    firstFrame: req.keepFrames ? { ...r.structure, models } : r.structure,
  };
}

/** Requests that can be aborted from the host (`cancel`), by id, with the promise that ends when they have stopped. */
const running = new Map<number, { controller: AbortController; done: Promise<unknown> }>();

const pathOf = (input: StructureInput | undefined): string[] => (input && 'path' in input ? [input.path] : []);

async function handle(req: WorkerRequest): Promise<void> {
  const id = req.id;
  const progress = (stage: string, fraction: number, detail?: string) => send({ type: 'progress', id, stage, fraction, detail });
  const log = (message: string) => send({ type: 'log', id, level: 'info', message });
  const warn = (w: InputWarning) => send({ type: 'log', id, level: 'warning', message: `${w.line ? `${w.file}:${w.line}` : w.file}: ${w.message}` });
  switch (req.type) {
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
      progress('parse', 0);
      const { structure, ms } = readInput(req.input);
      const reference = req.reference ? readInput(req.reference).structure : undefined;
      const stages = chainForInput(structure, { models: req.chain, model: req.settings.model, modelDirs: req.settings.modelDirs }, log);
      if (stages) {
        send({ type: 'result', id, result: await backmapChainStructure(req, structure, stages, { reference, parseMs: ms, log, warn, hooks: { progress } }) });
        return;
      }
      const settings = withWorkspaceMapping(req.settings, () => structure, (l) => log(l));
      const output = await backmapStructure(structure, { ...settings, reference, parseMs: ms, cacheSession: true, log, warn }, { progress });
      let written: string | undefined;
      if (req.out) {
        const t = performance.now();
        writeStructureFile(req.out, output.structure, { force: req.force, protect: [...pathOf(req.input), ...pathOf(req.reference)] });
        output.report.timings.write = performance.now() - t;
        written = req.out;
      }
      const result: BackmapStructureResult = { output, input: structure, written, markdown: renderReport(output) };
      send({ type: 'result', id, result });
      return;
    }
    case 'backmapTrajectory': {
      // UCG beads (cheap test: the first atom record) or a chain named: the topology is read here, once.
      if (req.chain?.length || isUcgStructureFile(req.topology) || needsChain([req.settings.model || 'auto'])) {
        const top = readStructureFile(req.topology);
        const stages = chainForInput(top, { models: req.chain, model: req.settings.model, modelDirs: req.settings.modelDirs }, log);
        if (stages) {
          send({ type: 'result', id, result: await backmapChainTrajectory(req, top, stages, { log, warn, hooks: { progress } }) });
          return;
        }
      }
      const result = await backmapTrajectory(
        {
          ...withWorkspaceMapping(req.settings, () => readStructureFile(req.topology), (l) => log(l)),
          topology: req.topology,
          trajectory: req.trajectory,
          out: req.out,
          format: req.format,
          force: req.force,
          maxFrames: req.maxFrames,
          stride: req.stride,
          keepFrames: req.keepFrames,
          solvent: req.solvent,
          cacheSession: true,
          log,
          warn,
        },
        { progress },
      );
      send({ type: 'result', id, result });
      return;
    }
    case 'trainModel': {
      // Registered before the run starts, so a cancel that arrives at its first await finds it.
      const run: { controller: AbortController; done: Promise<unknown> } = { controller: new AbortController(), done: Promise.resolve() };
      running.set(id, run);
      try {
        const done = trainModel(
          { ...req.options, log, warn },
          { progress: (p) => send({ type: 'progress', id, stage: p.phase, fraction: p.fraction, detail: p.message, train: p }), signal: run.controller.signal },
        );
        run.done = done;
        send({ type: 'result', id, result: await done });
      } finally {
        running.delete(id);
      }
      return;
    }
    case 'mapToCg': {
      const { structure } = readInput(req.input);
      const r = mapStructureToCg(structure, req.mapping, { chain: req.chain, residueNameMap: req.residueNameMap, policy: req.policy, warn });
      for (const p of r.problems) send({ type: 'log', id, level: 'warning', message: `${structure.source}: ${p}` });
      let written: string | undefined;
      if (req.out) {
        writeStructureFile(req.out, r.cg, { force: req.force, protect: pathOf(req.input) });
        written = req.out;
      }
      const result: MapToCgResultMessage = {
        cg: r.cg,
        input: structure,
        report: r.report,
        problems: r.problems,
        summary: r.summary,
        residues: r.system.residues.length,
        beads: r.system.beads.length,
        mappingId: r.mappingId,
        ms: r.ms,
        written,
      };
      send({ type: 'result', id, result });
      return;
    }
  }
}

if (process.send) {
  process.on('message', (msg: HostMessage) => {
    if (msg.type === 'cancel') {
      running.get(msg.id)?.controller.abort();
      return;
    }
    const req: WorkerRequest = msg;
    handle(req).catch((e) => send({ type: 'error', id: req.id, error: serializeError(e) }));
  });
  process.on('disconnect', () => {
    // The host went away: stop every run (a training run kills its Python child on abort) and let it clean up its
    // scratch files (bounded: the host kills a worker that lingers), free native sessions, leave.
    const runs = [...running.values()];
    for (const r of runs) r.controller.abort();
    const stopped = Promise.race([Promise.allSettled(runs.map((r) => r.done)), new Promise((res) => setTimeout(res, 4000))]);
    void stopped.then(() => releaseCachedSessions()).finally(() => process.exit(0));
  });
  send({ type: 'ready', id: 0, pid: process.pid });
}
