/**
 * L-BFGS minimisation (Nocedal & Wright, algorithm 7.4: two-loop recursion over the last `memory` steps) with a
 * backtracking line search that accepts a step only when the energy falls (Armijo condition), so the energy never
 * increases. Steps are capped (no atom moves more than `maxStep` in one step), which keeps a step within the
 * neighbour list's skin and stops the first steps from flying on a badly scaled start.
 */

export interface MinimiseOptions {
  /** Most L-BFGS steps (default 500). */
  maxSteps?: number;
  /** Stop when the RMS force per movable atom is at most this (kJ/mol/Å; default 1 = 10 kJ/mol/nm). */
  rmsForce?: number;
  /** Pairs (s, y) kept (default 8). */
  memory?: number;
  /** Largest move of one atom in one step (Å, default 0.3). */
  maxStep?: number;
  /** Atoms that move (1); others are held (their gradient must be zero). */
  movable: Uint8Array;
  /** Called after each accepted step with the step count and the energy. */
  onStep?: (step: number, energy: number) => void;
}

export interface MinimiseResult {
  steps: number;
  evaluations: number;
  energy: number;
  rmsForce: number;
  converged: boolean;
}

/** RMS force per movable atom: sqrt(Σ|∇_i E|² / movable atoms). */
export function rmsForceOf(g: Float64Array, movable: Uint8Array): number {
  let s = 0;
  let m = 0;
  for (let a = 0; a < movable.length; a++) {
    if (!movable[a]) continue;
    s += g[3 * a] ** 2 + g[3 * a + 1] ** 2 + g[3 * a + 2] ** 2;
    m++;
  }
  return m === 0 ? 0 : Math.sqrt(s / m);
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Minimises `f` from `x` (changed in place). `f(x, g)` returns the energy and fills the gradient g. */
export function lbfgs(f: (x: Float64Array, g: Float64Array) => number, x: Float64Array, opts: MinimiseOptions): MinimiseResult {
  const maxSteps = opts.maxSteps ?? 500;
  const tol = opts.rmsForce ?? 1;
  const mem = opts.memory ?? 8;
  const maxStep = opts.maxStep ?? 0.3;
  const n = x.length;
  const g = new Float64Array(n);
  const gNew = new Float64Array(n);
  const xNew = new Float64Array(n);
  const d = new Float64Array(n);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(mem);
  let energy = f(x, g);
  let evaluations = 1;
  let rms = rmsForceOf(g, opts.movable);
  let steps = 0;
  let fails = 0;
  while (steps < maxSteps && rms > tol) {
    // d = −H·g by the two-loop recursion; steepest descent when the memory is empty.
    for (let i = 0; i < n; i++) d[i] = -g[i];
    const m = S.length;
    for (let k = m - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(S[k], d);
      const y = Y[k];
      for (let i = 0; i < n; i++) d[i] -= alpha[k] * y[i];
    }
    if (m > 0) {
      const gamma = dot(S[m - 1], Y[m - 1]) / dot(Y[m - 1], Y[m - 1]);
      for (let i = 0; i < n; i++) d[i] *= gamma;
    }
    for (let k = 0; k < m; k++) {
      const beta = rho[k] * dot(Y[k], d);
      const s = S[k];
      for (let i = 0; i < n; i++) d[i] += (alpha[k] - beta) * s[i];
    }
    let slope = dot(d, g);
    if (!(slope < 0)) {
      // not a descent direction: forget the curvature pairs and go downhill
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      slope = dot(d, g);
    }
    // First step of an empty memory: scaled so the largest move is 0.05 Å; every step capped at maxStep.
    let big = 0;
    for (let a = 0; a < n; a += 3) big = Math.max(big, d[a] * d[a] + d[a + 1] * d[a + 1] + d[a + 2] * d[a + 2]);
    big = Math.sqrt(big);
    let step = 1;
    if (S.length === 0) step = 0.05 / Math.max(big, 1e-12);
    if (step * big > maxStep) step = maxStep / big;
    let accepted = false;
    let eNew = energy;
    for (let tries = 0; tries < 30; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * d[i];
      eNew = f(xNew, gNew);
      evaluations++;
      if (eNew <= energy + 1e-4 * step * slope) { accepted = true; break; }
      step *= 0.5;
    }
    if (!accepted) {
      // no step along d lowers the energy: retry once from steepest descent, then stop
      if (S.length === 0 || ++fails > 2) break;
      S.length = Y.length = rho.length = 0;
      continue;
    }
    fails = 0;
    // the oldest pair's arrays are reused once the memory is full
    const full = S.length === mem;
    const s = full ? S.shift()! : new Float64Array(n);
    const y = full ? Y.shift()! : new Float64Array(n);
    if (full) rho.shift();
    for (let i = 0; i < n; i++) { s[i] = xNew[i] - x[i]; y[i] = gNew[i] - g[i]; }
    const sy = dot(s, y);
    if (sy > 1e-12) { S.push(s); Y.push(y); rho.push(1 / sy); }
    x.set(xNew);
    g.set(gNew);
    energy = eNew;
    rms = rmsForceOf(g, opts.movable);
    steps++;
    opts.onStep?.(steps, energy);
  }
  return { steps, evaluations, energy, rmsForce: rms, converged: rms <= tol };
}
