/**
 * Test fixture: a tiny message-passing ONNX model that follows the model contract (src/core/model/contract.ts)
 * exactly — inputs pos, bead_type, nbr, nbr_mask, res_offset; outputs vectors [N,R,3], torsions [N,4] — with a
 * known receptive field (LAYERS × cutoff). It is not trained; it exists so that the engine's model path
 * (graph building, chunking with halos, providers, torsion-guided refinement) is tested even where no trained
 * model is shipped. Written as raw protobuf (no ONNX tooling in Node).
 *
 *   h0 = pos + 0.001 · bead_type
 *   w  = nbr_mask · (1 + 0.01 · res_offset)                      (uses the residue-offset feature)
 *   h(l+1) = h(l) + 0.1 · Σ_k w_k · (h(l)[nbr_k] − h(l))        (LAYERS times)
 *   vectors[i, r] = 0.05 · (h_L − pos)_i + 0.3 · e(r)             (small, finite, depends on the neighbourhood)
 *   torsions = [h_L − pos, Σ(h_L − pos)]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MappingSet } from '../../../src/core/mapping/types';

export const LAYERS = 2;

// --- protobuf writer (varints, length-delimited fields) ---
function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const key = (f: number, w: number) => varint((f << 3) | w);
const bytes = (f: number, b: number[]) => [...key(f, 2), ...varint(b.length), ...b];
const str = (f: number, s: string) => bytes(f, [...Buffer.from(s, 'utf8')]);
const int = (f: number, n: number) => [...key(f, 0), ...varint(n)];

const FLOAT = 1;
const INT64 = 7;

function attrInt(name: string, v: number): number[] {
  return [...str(1, name), ...int(20, 2), ...int(3, v)]; // type INT = 2, field i = 3
}
function attrInts(name: string, v: number[]): number[] {
  return [...str(1, name), ...int(20, 7), ...v.flatMap((x) => int(8, x))]; // type INTS = 7, field ints = 8
}
function node(op: string, inputs: string[], outputs: string[], attrs: number[][] = []): number[] {
  return [...inputs.flatMap((i) => str(1, i)), ...outputs.flatMap((o) => str(2, o)), ...str(4, op), ...attrs.flatMap((a) => bytes(5, a))];
}
function tensorInt64(name: string, dims: number[], values: number[]): number[] {
  return [...dims.flatMap((d) => int(1, d)), ...int(2, INT64), ...values.flatMap((v) => int(7, v)), ...str(8, name)];
}
function tensorFloat(name: string, dims: number[], values: number[]): number[] {
  const raw = Buffer.from(Float32Array.from(values).buffer);
  return [...dims.flatMap((d) => int(1, d)), ...int(2, FLOAT), ...str(8, name), ...bytes(9, [...raw])];
}
function valueInfo(name: string, elem: number, dims: (number | string)[]): number[] {
  const dim = (d: number | string) => (typeof d === 'number' ? int(1, d) : str(2, d));
  const shape = dims.flatMap((d) => bytes(1, dim(d)));
  return [...str(1, name), ...bytes(2, bytes(1, [...int(1, elem), ...bytes(2, shape)]))];
}

/** ONNX bytes of the tiny model for R slots per bead. */
export function tinyModelBytes(R: number): Uint8Array {
  const nodes: number[][] = [];
  const inits: number[][] = [];
  inits.push(tensorInt64('ax1', [1], [1]));
  inits.push(tensorInt64('ax2', [1], [2]));
  inits.push(tensorFloat('c001', [], [0.001]));
  inits.push(tensorFloat('c01', [], [0.01]));
  inits.push(tensorFloat('c1', [], [1]));
  inits.push(tensorFloat('c_step', [], [0.1]));
  inits.push(tensorFloat('c_vec', [], [0.05]));
  // per-slot offsets e(r): a fixed small direction per slot, [1, R, 3]
  const e: number[] = [];
  for (let r = 0; r < R; r++) e.push(0.3 * Math.cos(r), 0.3 * Math.sin(r), 0.3 * ((r % 3) - 1));
  inits.push(tensorFloat('slot_dirs', [1, R, 3], e));
  // h0 = pos + 0.001 * float(bead_type)[:, None]
  nodes.push(node('Cast', ['bead_type'], ['bt_f'], [attrInt('to', FLOAT)]));
  nodes.push(node('Unsqueeze', ['bt_f', 'ax1'], ['bt_col']));
  nodes.push(node('Mul', ['bt_col', 'c001'], ['bt_s']));
  nodes.push(node('Add', ['pos', 'bt_s'], ['h0']));
  // w = mask * (1 + 0.01 * res_offset), [N, K, 1]
  nodes.push(node('Cast', ['res_offset'], ['ro_f'], [attrInt('to', FLOAT)]));
  nodes.push(node('Mul', ['ro_f', 'c01'], ['ro_s']));
  nodes.push(node('Add', ['ro_s', 'c1'], ['ro_w']));
  nodes.push(node('Mul', ['ro_w', 'nbr_mask'], ['w2']));
  nodes.push(node('Unsqueeze', ['w2', 'ax2'], ['w']));
  let h = 'h0';
  for (let l = 0; l < LAYERS; l++) {
    nodes.push(node('Gather', [h, 'nbr'], [`g${l}`], [attrInt('axis', 0)])); // [N,K,3]
    nodes.push(node('Unsqueeze', [h, 'ax1'], [`hu${l}`])); // [N,1,3]
    nodes.push(node('Sub', [`g${l}`, `hu${l}`], [`rel${l}`]));
    nodes.push(node('Mul', [`rel${l}`, 'w'], [`wrel${l}`]));
    nodes.push(node('ReduceSum', [`wrel${l}`, 'ax1'], [`m${l}`], [attrInt('keepdims', 0)])); // [N,3]
    nodes.push(node('Mul', [`m${l}`, 'c_step'], [`ms${l}`]));
    nodes.push(node('Add', [h, `ms${l}`], [`h${l + 1}`]));
    h = `h${l + 1}`;
  }
  nodes.push(node('Sub', [h, 'pos'], ['d']));
  nodes.push(node('Mul', ['d', 'c_vec'], ['dv']));
  nodes.push(node('Unsqueeze', ['dv', 'ax1'], ['dvu'])); // [N,1,3]
  nodes.push(node('Add', ['dvu', 'slot_dirs'], ['vectors'])); // [N,R,3]
  nodes.push(node('ReduceSum', ['d', 'ax1'], ['dsum'], [attrInt('keepdims', 1)])); // [N,1]
  nodes.push(node('Concat', ['d', 'dsum'], ['torsions'], [attrInt('axis', 1)])); // [N,4]
  void attrInts;
  const graph = [
    ...nodes.flatMap((n) => bytes(1, n)),
    ...str(2, 'tiny_backmapper'),
    ...inits.flatMap((t) => bytes(5, t)),
    ...bytes(11, valueInfo('pos', FLOAT, ['N', 3])),
    ...bytes(11, valueInfo('bead_type', INT64, ['N'])),
    ...bytes(11, valueInfo('nbr', INT64, ['N', 'K'])),
    ...bytes(11, valueInfo('nbr_mask', FLOAT, ['N', 'K'])),
    ...bytes(11, valueInfo('res_offset', INT64, ['N', 'K'])),
    ...bytes(12, valueInfo('vectors', FLOAT, ['N', R, 3])),
    ...bytes(12, valueInfo('torsions', FLOAT, ['N', 4])),
  ];
  const model = [...int(1, 8), ...str(2, 'backmap-studio-tests'), ...bytes(8, [...str(1, ''), ...int(2, 17)]), ...bytes(7, graph)];
  return Uint8Array.from(model);
}

/** Writes `<dir>/<id>.onnx` + `<id>.json` (a card for `set`) and returns the .onnx path. */
export function writeTinyModel(dir: string, set: MappingSet, id = 'tiny-test', cutoff = 7, K = 24): string {
  mkdirSync(dir, { recursive: true });
  const bytesOut = tinyModelBytes(set.maxSlots);
  const onnx = join(dir, `${id}.onnx`);
  writeFileSync(onnx, bytesOut);
  const beadTypes: string[] = [];
  for (const [idname, t] of set.beadTypes) beadTypes[t] = beadTypes[t] ? `${beadTypes[t]}|${idname}` : idname;
  for (let t = 0; t < set.numTypes; t++) beadTypes[t] ??= '';
  const card = {
    id,
    format: 'backmap-studio-model/1',
    description: 'untrained test fixture (tiny message passing)',
    mapping: { id: set.id, hash: set.hash },
    beadTypes,
    numTypes: set.numTypes,
    R: set.maxSlots,
    cutoff,
    K,
    architecture: { layers: LAYERS },
    inputs: [],
    outputs: [],
    opset: 17,
    onnx: { file: `${id}.onnx`, sha256: createHash('sha256').update(bytesOut).digest('hex'), bytes: bytesOut.length },
  };
  writeFileSync(join(dir, `${id}.json`), JSON.stringify(card, null, 1));
  return onnx;
}
