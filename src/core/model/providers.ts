/**
 * Execution-provider selection for onnxruntime-node: the one routine every model session goes through
 * (ModelRunner, the benchmarks' probes).
 *
 * `device: 'auto'` tries, in order, what this platform can have: CUDA (only when onnxruntime-node lists it
 * AND its provider library is installed beside the binding), WebGPU (bundled on Linux x64 / Windows; needs
 * a GPU adapter — Vulkan on Linux), DirectML (Windows), CoreML (macOS), then CPU. Every skipped or failed
 * provider is recorded with its reason, so the report and the log say which provider ran and why the others
 * did not.
 *
 * An explicit device (`cuda`, `webgpu`, …) is tried first; when it is unavailable the session falls back to
 * CPU and the reason is recorded (documented behaviour), unless `strict` is set, in which case
 * `ProviderUnavailableError` is thrown.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';

/** Where a model runs: `auto` picks the best this machine has (see the order above). */
export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu' | 'dml' | 'coreml';
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda', 'webgpu', 'dml', 'coreml'];

export type ConcreteDevice = Exclude<Device, 'auto'>;

/** One provider tried (or skipped without trying) while opening a session. */
export interface ProviderAttempt {
  device: ConcreteDevice;
  ok: boolean;
  /** Why it was skipped or failed (empty when it ran). */
  reason: string;
}

export class ProviderUnavailableError extends Error {
  constructor(
    readonly device: ConcreteDevice,
    readonly reason: string,
  ) {
    super(`execution provider '${device}' is unavailable: ${reason}`);
    this.name = 'ProviderUnavailableError';
  }
}

// Typed loosely: onnxruntime-node is external to the bundles and loaded lazily (the template path needs none).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ort = any;
let ortModule: Ort | undefined;
const req = createRequire(typeof __filename !== 'undefined' ? __filename : join(process.cwd(), 'index.js'));

export function loadOrt(): Ort {
  if (!ortModule) ortModule = req('onnxruntime-node');
  return ortModule;
}

/** Folder that holds onnxruntime_binding.node and the provider libraries. */
function bindingDir(): string | undefined {
  try {
    const pkg = req.resolve('onnxruntime-node/package.json');
    return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

interface BackendInfo {
  name: string;
  bundled: boolean;
}

function supportedBackends(): BackendInfo[] {
  try {
    const ort = loadOrt();
    const list = ort.listSupportedBackends?.() as BackendInfo[] | undefined;
    return list ?? [{ name: 'cpu', bundled: true }];
  } catch {
    return [];
  }
}

/**
 * Linux: whether the Vulkan loader that WebGPU (Dawn) needs is installed. Without it, trying WebGPU only prints
 * native warnings before failing; checking first makes the fallback quiet, with the reason recorded.
 */
function vulkanLoaderPresent(): boolean {
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, '/usr/lib64', '/usr/lib', '/lib64', '/lib', '/usr/local/lib'];
  if (dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')))) return true;
  try {
    return readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1');
  } catch {
    return false;
  }
}

const libName = (base: string): string =>
  process.platform === 'win32' ? `${base}.dll` : process.platform === 'darwin' ? `lib${base}.dylib` : `lib${base}.so`;

/**
 * Static availability (no session is created): whether this platform/installation could run `device`.
 * WebGPU's adapter can only be found by trying, so it is reported as "may work" here (on Linux, once the Vulkan
 * loader is installed).
 */
export function staticAvailability(device: ConcreteDevice): { possible: boolean; reason: string } {
  const backends = supportedBackends();
  const listed = backends.find((b) => b.name === device);
  if (!backends.length) return { possible: false, reason: 'onnxruntime-node could not be loaded' };
  switch (device) {
    case 'cpu':
      return { possible: true, reason: '' };
    case 'cuda': {
      if (!listed) return { possible: false, reason: `onnxruntime-node on ${process.platform}-${process.arch} has no CUDA backend` };
      const dir = bindingDir();
      const lib = dir ? join(dir, libName('onnxruntime_providers_cuda')) : '';
      if (!dir || !existsSync(lib))
        return {
          possible: false,
          reason: `CUDA provider library not installed (${lib || 'libonnxruntime_providers_cuda'} missing; opt in with 'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js' on a machine with CUDA 12, see README "GPU")`,
        };
      return { possible: true, reason: '' };
    }
    case 'webgpu':
      if (!listed) return { possible: false, reason: `onnxruntime-node on ${process.platform}-${process.arch} has no WebGPU backend` };
      if (process.platform === 'linux' && !vulkanLoaderPresent())
        return { possible: false, reason: 'no Vulkan loader (libvulkan.so.1) found: WebGPU needs Vulkan and a GPU driver (install libvulkan1)' };
      return { possible: true, reason: '' };
    case 'dml':
      if (process.platform !== 'win32') return { possible: false, reason: 'DirectML exists only on Windows' };
      if (!listed) return { possible: false, reason: 'onnxruntime-node build has no DirectML backend' };
      return { possible: true, reason: '' };
    case 'coreml':
      if (process.platform !== 'darwin') return { possible: false, reason: 'CoreML exists only on macOS' };
      if (!listed) return { possible: false, reason: 'onnxruntime-node build has no CoreML backend' };
      return { possible: true, reason: '' };
  }
}

/** The order `auto` tries on this platform (CPU last). */
export function autoOrder(): ConcreteDevice[] {
  const order: ConcreteDevice[] = ['cuda', 'webgpu'];
  if (process.platform === 'win32') order.push('dml');
  if (process.platform === 'darwin') order.push('coreml');
  order.push('cpu');
  return order;
}

export interface SessionResult {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  session: any;
  provider: ConcreteDevice;
  attempts: ProviderAttempt[];
}

export interface SessionOptions {
  /** An explicit device that cannot run throws ProviderUnavailableError instead of falling back to CPU. */
  strict?: boolean;
  log?: (message: string) => void;
  /** Threads for the CPU provider (default: `cpuThreads()`). */
  intraOpNumThreads?: number;
}

let physicalCores: number | undefined;

/**
 * Intra-op threads for the CPU provider: the physical cores (distinct physical id + core id in /proc/cpuinfo on
 * Linux, else the logical CPUs), no more than this process may use (`availableParallelism`), at most 16.
 */
export function cpuThreads(): number {
  if (physicalCores === undefined) {
    let n = 0;
    try {
      if (process.platform === 'linux') {
        const ids = new Set<string>();
        let phys = '0';
        for (const line of readFileSync('/proc/cpuinfo', 'utf8').split('\n')) {
          const m = /^(physical id|core id)\s*:\s*(\S+)/.exec(line);
          if (m?.[1] === 'physical id') phys = m[2];
          else if (m) ids.add(`${phys}:${m[2]}`);
        }
        n = ids.size;
      }
    } catch {
      n = 0;
    }
    const logical = availableParallelism();
    physicalCores = Math.max(1, Math.min(16, logical, n || logical));
  }
  return physicalCores;
}

/** First line of a native error, without the build path noise. */
export function conciseReason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/Failed to get a WebGPU adapter/.test(msg)) return 'no WebGPU adapter found (WebGPU needs Vulkan and a GPU)';
  return msg.split('\n')[0].replace(/^\/onnxruntime_src\/\S+\s*/, '').slice(0, 300);
}

/**
 * Creates an onnxruntime session on the requested device with clean fallback. `model` is an .onnx path or bytes.
 */
export async function createSession(model: string | Uint8Array, device: Device, opts: SessionOptions = {}): Promise<SessionResult> {
  const ort = loadOrt();
  const log = opts.log ?? (() => {});
  const order: ConcreteDevice[] = device === 'auto' ? autoOrder() : device === 'cpu' ? ['cpu'] : [device, 'cpu'];
  const attempts: ProviderAttempt[] = [];
  for (const d of order) {
    const stat = staticAvailability(d);
    if (!stat.possible) {
      attempts.push({ device: d, ok: false, reason: stat.reason });
      if (opts.strict && d === device) throw new ProviderUnavailableError(d, stat.reason);
      log(`provider ${d} skipped: ${stat.reason}`);
      continue;
    }
    try {
      const sessionOptions: Record<string, unknown> = { executionProviders: [d], graphOptimizationLevel: 'all' };
      if (d === 'cpu') {
        // Basic graph optimisations only: the extended/all fusions gave the same warm run times on the CPU but a
        // first run about 60 ms longer (a 2,300-bead protein: 220 vs 285 ms; outputs identical).
        sessionOptions.graphOptimizationLevel = 'basic';
        // One thread per physical core, idle threads sleeping instead of spinning: onnxruntime's own choice ran one
        // thread on the 2-core machine, and two spinning threads were slower still when another process used a core
        // (docs/experiments.md, *Speed and memory*).
        const threads = opts.intraOpNumThreads || cpuThreads();
        sessionOptions.intraOpNumThreads = threads;
        if (threads > 1) sessionOptions.extra = { session: { 'intra_op.allow_spinning': '0' } };
        // The memory pattern allocates each run's planned block afresh (outside the arena, freed after the run), so
        // every chunk and frame touched new pages: on the 2-core VM a 12k-bead chunk ran 4.5 s instead of 1.1 s, at
        // 2.2 GB instead of 1.3 GB. Without it tensors come from the arena, which keeps its pages between runs.
        sessionOptions.enableMemPattern = false;
      }
      const session = await (typeof model === 'string'
        ? ort.InferenceSession.create(model, sessionOptions)
        : ort.InferenceSession.create(model, sessionOptions));
      attempts.push({ device: d, ok: true, reason: '' });
      const why = attempts.filter((a) => !a.ok).map((a) => `${a.device}: ${a.reason}`);
      log(`provider ${d} selected${why.length ? ` (skipped ${why.join('; ')})` : ''}`);
      return { session, provider: d, attempts };
    } catch (e) {
      const reason = conciseReason(e);
      attempts.push({ device: d, ok: false, reason });
      if (opts.strict && d === device) throw new ProviderUnavailableError(d, reason);
      log(`provider ${d} failed: ${reason}`);
    }
  }
  const last = attempts[attempts.length - 1];
  throw new ProviderUnavailableError(last?.device ?? 'cpu', attempts.map((a) => `${a.device}: ${a.reason}`).join('; '));
}

// --- a tiny in-memory ONNX model (y = x + x) to probe providers without a trained model file ---

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
const bytesField = (field: number, b: number[]) => [...key(field, 2), ...varint(b.length), ...b];
const strField = (field: number, s: string) => bytesField(field, [...Buffer.from(s, 'utf8')]);
const intField = (field: number, n: number) => [...key(field, 0), ...varint(n)];

/** Protobuf bytes of an opset-17 ONNX model `y = x + x`, x float32 [n, 3]. */
export function probeModelBytes(): Uint8Array {
  const dim = (d: number | string) => (typeof d === 'number' ? intField(1, d) : strField(2, d));
  const tensorType = (elem: number, dims: (number | string)[]) =>
    bytesField(1, [...intField(1, elem), ...bytesField(2, dims.flatMap((d) => bytesField(1, dim(d))))]);
  const valueInfo = (name: string) => [...strField(1, name), ...bytesField(2, tensorType(1, ['n', 3]))];
  const node = [...strField(1, 'x'), ...strField(1, 'x'), ...strField(2, 'y'), ...strField(4, 'Add')];
  const graph = [...bytesField(1, node), ...strField(2, 'probe'), ...bytesField(11, valueInfo('x')), ...bytesField(12, valueInfo('y'))];
  const model = [...intField(1, 8), ...bytesField(8, [...strField(1, ''), ...intField(2, 17)]), ...bytesField(7, graph)];
  return Uint8Array.from(model);
}

export interface ProbeResult {
  device: ConcreteDevice;
  available: boolean;
  reason: string;
}

const probeCache = new Map<ConcreteDevice, ProbeResult>();

/** Whether `device` really runs here: creates a session for the probe model on it and runs it once. */
export async function probeDevice(device: ConcreteDevice): Promise<ProbeResult> {
  const cached = probeCache.get(device);
  if (cached) return cached;
  let result: ProbeResult;
  const stat = staticAvailability(device);
  if (!stat.possible) result = { device, available: false, reason: stat.reason };
  else {
    try {
      const { session } = await createSession(probeModelBytes(), device, { strict: true });
      const ort = loadOrt();
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [1, 3]) });
      const y = out.y.data as Float32Array;
      await session.release?.();
      result = y[2] === 6 ? { device, available: true, reason: '' } : { device, available: false, reason: 'probe model gave a wrong result' };
    } catch (e) {
      result = { device, available: false, reason: e instanceof ProviderUnavailableError ? e.reason : conciseReason(e) };
    }
  }
  probeCache.set(device, result);
  return result;
}

/** Probes every device this platform might have (for reports and benchmarks). */
export async function probeAll(): Promise<ProbeResult[]> {
  const all: ConcreteDevice[] = ['cpu', 'cuda', 'webgpu', 'dml', 'coreml'];
  const out: ProbeResult[] = [];
  for (const d of all) out.push(await probeDevice(d));
  return out;
}
