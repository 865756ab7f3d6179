/** Training a model for the user's own mapping (`backmap train`, the editor's *Train model for this mapping…*). */
export { trainModel, chooseArchitecture, modelFiles, trainingScriptsRoot, type TrainArchitecture, type TrainHooks } from './train';
export { findPython, probePython, pythonCandidates, INSTALL_HINT, type PythonCheck, type PythonProbe } from './python';
export { buildFrameDataset, planTrainingMapping, writeFrameDataset, FEW_FRAMES, type FrameDataset } from './dataset';
export type { TrainOptions, TrainPhase, TrainProgress, TrainResult } from './options';
export { HydrogenTemplateCollector, templateTargets, PARENT_MAX, type TemplateTarget, type HydrogenTemplateResult } from './hydrogen-templates';
