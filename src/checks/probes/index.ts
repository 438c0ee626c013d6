// The probe kinds, in one list. A check in lab.yaml names one by `kind`; the parameters are declared
// in src/checks/schema.ts (PROBE_SCHEMAS). The Record type makes a kind without code a compile error.
import type { ProbeKindName, ProbeOf } from '../schema.js';
import type { ProbeImpl } from '../types.js';
import { domainsAnswer, forwardedFor, forwardedProto, noRedirectLoop, tlsSni } from './edge.js';
import { haproxyConfigValid, logReachesStdout, runtimeSocket } from './haproxy-node.js';
import { defaultBackend, domainRouting } from './routing.js';
import { prometheus, statsAdmin, statsAuth, statsHideVersion } from './stats-page.js';
import { lbDistribution } from './lb-distribution.js';
import { lbSticky } from './lb-sticky.js';
import { healthChecksL7 } from './health-checks-l7.js';
import { healthFailover } from './health-failover.js';
import { aclDeny } from './acl-deny.js';
import { rateLimit } from './rate-limit.js';
import { ipvsTable, l4Health, l4Spread, vipFailover, vipHolder } from './lvs.js';
import { runtimeAdmin } from './runtime-admin.js';
import { httplogLine } from './httplog-line.js';
import { runbookDrill } from './runbook-drill.js';
import { lbLeastconn } from './lb-leastconn.js';
import { lbHashKey } from './lb-hash-key.js';
import { rdpCookie } from './rdp-cookie.js';
import { healthCheckAnswers } from './health-check-answers.js';

export const PROBES: { [K in ProbeKindName]: ProbeImpl<ProbeOf<K>> } = {
  'haproxy-config-valid': haproxyConfigValid,
  'stats-auth': statsAuth,
  'stats-admin': statsAdmin,
  'stats-hide-version': statsHideVersion,
  prometheus,
  'runtime-socket': runtimeSocket,
  'log-reaches-stdout': logReachesStdout,
  'domains-answer': domainsAnswer,
  'domain-routing': domainRouting,
  'tls-sni': tlsSni,
  'no-redirect-loop': noRedirectLoop,
  'default-backend': defaultBackend,
  'forwarded-proto': forwardedProto,
  'forwarded-for': forwardedFor,
  'lb-distribution': lbDistribution,
  'lb-sticky': lbSticky,
  'health-checks-l7': healthChecksL7,
  'health-failover': healthFailover,
  'acl-deny': aclDeny,
  'rate-limit': rateLimit,
  'vip-holder': vipHolder,
  'vip-failover': vipFailover,
  'l4-spread': l4Spread,
  'l4-health': l4Health,
  'ipvs-table': ipvsTable,
  'runtime-admin': runtimeAdmin,
  'httplog-line': httplogLine,
  'runbook-drill': runbookDrill,
  'lb-leastconn': lbLeastconn,
  'lb-hash-key': lbHashKey,
  'rdp-cookie': rdpCookie,
  'health-check-answers': healthCheckAnswers,
};

export function probeFor(kind: ProbeKindName): ProbeImpl<ProbeOf<ProbeKindName>> {
  return PROBES[kind] as ProbeImpl<ProbeOf<ProbeKindName>>;
}
