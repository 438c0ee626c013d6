// Public API of the certificate generator: `lab certs`, `lab certs verify`, and `lab up` call these.
export { DEFAULT_DOMAINS, PREFERRED_DEFAULT_DOMAIN, defaultCertificateDomain, normalizeDomain, isDomainName } from './domains.js';
export { ensureCerts, checkDays, type CertsOptions, type CertsResult } from './generate.js';
export { verifyCerts, type VerifyLine } from './verify.js';
export { caPaths, leafPaths, haproxyDir, type CaPaths, type LeafPaths } from './paths.js';
export { trustInstructions } from './trust.js';
export { MAX_LEAF_DAYS, DEFAULT_LEAF_DAYS } from './leaf.js';
export { CA_DAYS } from './ca.js';
export { RENEW_WITHIN_DAYS } from './inspect.js';
