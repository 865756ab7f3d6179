/** Deterministic pseudo-random numbers (mulberry32): seeded tests and fixtures give the same data on every run. */
export { seededRandom as rng, gaussian } from '../../src/core/random';
