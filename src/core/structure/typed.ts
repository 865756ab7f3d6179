export type NumericArray = Int32Array | Float32Array | Uint8Array | Float64Array;

/** A copy of `a` in a larger array of the same type (the tail is zero). */
export function growTyped<T extends NumericArray>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
