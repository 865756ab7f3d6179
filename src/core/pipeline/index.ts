/**
 * The backmapping pipeline, one orchestration for every front end (CLI, inference worker, benchmarks, demo):
 * plan (input → checks → mapping set → backmapper), run (inference → rebuild → refine → metrics), trajectories,
 * all-atom → CG, and the markdown report. See docs/engine.md.
 */
export * from './options';
export * from './plan';
export { backmapStructure, rebuild, residueTorsions } from './run';
export * from './trajectory';
export * from './map';
export { renderReport } from './report';
export { chooseWorkspaceMapping, withWorkspaceMapping, workspaceMappingFolders, type WorkspaceMappingContext } from './workspace-mapping';
export { CancelledError } from '../errors';
export { backmapChain, chainForInput, chainInput, chooseChain, planChain, needsChain, type ChainStage, type ChainOutput } from './chain';
