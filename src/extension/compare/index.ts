// Public surface of the comparison view for the rest of the extension.
export { ComparePanel, INLINE_LIMIT, type ComparisonInput, type FrameSource } from './panel';
export { looksCoarseGrained, referenceRmsd, rmsdDefinition, rmsdShortDefinition, sequenceOf, buildComparisonPayload, analyseFrame, toLoadMessage, superposeReference, defaultCgBonds, displayText, residuesOnLines, lineOfResidue, type ComparisonPayload, type FrameAnalysis, type LayerText, type PayloadOptions } from './payload';
export { compareHtml, compareCsp, makeNonce } from './html';
export { reloadComparison } from './reload';
export { TrajectoryFile, TrajectoryFrames, topologyCandidates } from './frames';
export { chooseTopology, trajectoryComparison } from './open-trajectory';
export { TrajectoryEditorProvider } from './trajectory-editor';
