// Public mapping API (SPEC: ../shared/mapping-format/SPEC.md).
export * from './types';
export {
  CODES, CANONICAL_RULE, canonicalRuleText, decodeCgmapSetting, decodeRule, parseMappingDocument, parseMappingText,
  type MappingDiagnostic, type MappingEntry, type MappingFix, type MappingSeverity, type ParsedMapping, type ParseOptions, type TextEdit, type Token,
} from './parse';
export {
  analyzeMappingFolder, bundledMappingsRoot, cgmapAtomName, listBundledMappingSets, loadMappingSet, parseBeadTypes, resolveMappingFolder,
  validateMappingFolder, type FolderAnalysis, type FolderReport, type LoadOptions, type ValidateOptions,
} from './load';
export { massFromName, ONE_LETTER_MASS } from './mass';
export { completeHierarchy, applyEdits, type HierarchyResult } from './hierarchy';
