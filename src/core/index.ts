// Public surface of the pure core (no `vscode` import anywhere under src/core).
export * from './errors';
export * from './structure/types';
export * from './mapping/types';
export * from './structure/builder';
