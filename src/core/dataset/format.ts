/**
 * BMDS0001: the training-dataset container shared by TypeScript (writer, reader) and Python (training/dataset.py).
 * Layout: magic "BMDS0001" | uint32 LE header length | JSON header | zero padding to 8 bytes | arrays.
 * Each array is little-endian, C order, starts at an 8-byte aligned absolute file offset given in the header.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { InputError } from '../errors';

export const DATASET_MAGIC = 'BMDS0001';

export type DType = 'float32' | 'int32' | 'int64' | 'uint8';
export type TypedArrayOf = Float32Array | Int32Array | BigInt64Array | Uint8Array;

export interface ArrayEntry {
  dtype: DType;
  shape: number[];
  offset: number;
}

export interface DatasetHeader {
  format: typeof DATASET_MAGIC;
  arrays: Record<string, ArrayEntry>;
  meta: Record<string, unknown>;
}

export interface NamedArray {
  data: TypedArrayOf;
  shape: number[];
}

const dtypeOf = (a: TypedArrayOf): DType =>
  a instanceof Float32Array ? 'float32' : a instanceof Int32Array ? 'int32' : a instanceof BigInt64Array ? 'int64' : 'uint8';

const align8 = (n: number): number => (n + 7) & ~7;

/** Serialises arrays + meta into one buffer (the byte layout Python's numpy reader expects). */
export function encodeDataset(arrays: Record<string, NamedArray>, meta: Record<string, unknown>): Buffer {
  const names = Object.keys(arrays);
  for (const n of names) {
    const { data, shape } = arrays[n];
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`dataset array ${n}: shape ${shape} does not match length ${data.length}`);
  }
  // Offsets depend on the header length, which depends on the offsets' digits: iterate to a fixed point.
  let headerLen = 0;
  let header: DatasetHeader = { format: DATASET_MAGIC, arrays: {}, meta };
  let json = '';
  for (let iter = 0; iter < 8; iter++) {
    let off = align8(8 + 4 + headerLen);
    const entries: Record<string, ArrayEntry> = {};
    for (const n of names) {
      const { data, shape } = arrays[n];
      entries[n] = { dtype: dtypeOf(data), shape, offset: off };
      off = align8(off + data.byteLength);
    }
    header = { format: DATASET_MAGIC, arrays: entries, meta };
    json = JSON.stringify(header);
    const len = Buffer.byteLength(json, 'utf8');
    if (len === headerLen) break;
    headerLen = len;
  }
  const last = names.length ? header.arrays[names[names.length - 1]] : null;
  const total = last ? align8(last.offset + arrays[names[names.length - 1]].data.byteLength) : align8(12 + headerLen);
  const buf = Buffer.alloc(total);
  buf.write(DATASET_MAGIC, 0, 'latin1');
  buf.writeUInt32LE(headerLen, 8);
  buf.write(json, 12, 'utf8');
  for (const n of names) {
    const { data } = arrays[n];
    const src = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    src.copy(buf, header.arrays[n].offset);
  }
  return buf;
}

export function writeDataset(path: string, arrays: Record<string, NamedArray>, meta: Record<string, unknown>): number {
  const buf = encodeDataset(arrays, meta);
  writeFileSync(path, buf);
  return buf.length;
}

/** Reads a BMDS0001 file back (tests and tools; training reads it with numpy). */
export function readDataset(path: string): { header: DatasetHeader; arrays: Record<string, NamedArray> } {
  const buf = readFileSync(path);
  return decodeDataset(buf, path);
}

export function decodeDataset(buf: Buffer, source = '<dataset>'): { header: DatasetHeader; arrays: Record<string, NamedArray> } {
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== DATASET_MAGIC) throw new InputError(`not a ${DATASET_MAGIC} dataset`, source);
  const headerLen = buf.readUInt32LE(8);
  if (12 + headerLen > buf.length) throw new InputError('truncated dataset header', source);
  const header = JSON.parse(buf.toString('utf8', 12, 12 + headerLen)) as DatasetHeader;
  const arrays: Record<string, NamedArray> = {};
  for (const [name, e] of Object.entries(header.arrays)) {
    const count = e.shape.reduce((a, b) => a * b, 1);
    const size = { float32: 4, int32: 4, int64: 8, uint8: 1 }[e.dtype];
    if (e.offset + count * size > buf.length) throw new InputError(`truncated dataset array ${name}`, source);
    const copy = new Uint8Array(count * size);
    copy.set(buf.subarray(e.offset, e.offset + count * size));
    const data: TypedArrayOf =
      e.dtype === 'float32'
        ? new Float32Array(copy.buffer)
        : e.dtype === 'int32'
          ? new Int32Array(copy.buffer)
          : e.dtype === 'int64'
            ? new BigInt64Array(copy.buffer)
            : copy;
    arrays[name] = { data, shape: e.shape };
  }
  return { header, arrays };
}
