// Public surface of the pure core (no `vscode` import anywhere under src/core). The extension, the language
// server, the CLI, the dataset builder and the benchmarks all go through these modules.
export * from './errors';
export * from './structure';
export * from './trajectory';
export * from './mapping';
export * from './geometry';
export * from './build';
export * from './forward';
export * from './cg';
export * from './reconstruct';
export * from './template';
export * from './metrics';
export * from './model/contract';
export * from './model/registry';
export { ModelRunner, type Device, type ProviderAttempt, type Prediction, type LoadOptions as ModelLoadOptions } from './model/runner';
export * from './dataset/format';
export * from './dataset/build';
