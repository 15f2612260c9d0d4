/**
 * Hardware profiles and site files: JSON Schemas (../schema), the YAML loader
 * and the checks beyond the schema. Every issue names its file, line, point or
 * device, and field (CONVENTIONS.md habit 4).
 */
export type * from './types.js';
export { ProfileValidationError, formatIssue } from './issues.js';
export type { ValidationIssue } from './issues.js';
export { parseProfile, validateProfileFile, loadProfile } from './profile-loader.js';
export { parseSite, validateSiteFile, loadSite } from './site-loader.js';
export { listProfileFiles } from './list-files.js';
export { checkSiteSections, parseIssuePath } from './site-sections.js';
export type { SectionsInput } from './site-sections.js';
export { siteDefinitionFindings } from './schema-check.js';
export type { Finding, SiteDefinition } from './schema-check.js';
export { fieldName } from './locate.js';
export {
  effectiveEncoding,
  pduAddress,
  modbusRegisterCount,
  isModbusDataType,
  MODBUS_DATA_TYPES,
  NotAModbusPointError,
} from './encoding.js';
export type { EffectiveEncoding } from './encoding.js';
export { findRepoRoot, RepoRootNotFoundError } from './repo-root.js';
export { runValidateCli } from './validate-cli.js';
