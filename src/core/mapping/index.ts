// Public mapping API (the dialect: docs/mapping-format.md).
export * from './types';
export { CODES } from './codes';
export {
  CANONICAL_RULE, canonicalRuleText, decodeCgmapSetting, decodeRule, parseMappingDocument, parseMappingText,
  type MappingEntry, type ParsedMapping, type ParseOptions, type Token,
} from './parse';
export {
  analyzeMappingFolder, bundledMappingsRoot, cgmapAtomName, listBundledMappingSets, loadMappingSet, parseBeadTypes, resolveMappingFolder,
  validateMappingFolder, type FolderAnalysis, type FolderReport, type LoadOptions, type ValidateOptions,
} from './load';
export { massFromName, ONE_LETTER_MASS } from './mass';
export { completeHierarchy, applyEdits, type HierarchyResult } from './hierarchy';
