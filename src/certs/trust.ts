// How to trust the lab CA without lab touching the system trust store.
import { DEFAULT_DOMAINS } from './domains.js';

export function trustInstructions(caCert: string, domain = DEFAULT_DOMAINS[0]!): string[] {
  return [
    'Trust the lab CA only where you need it (lab never adds it to the system store):',
    `  curl:    curl --cacert ${caCert} --resolve ${domain}:443:<VIP> https://${domain}/`,
    `  openssl: openssl s_client -connect <VIP>:443 -servername ${domain} -CAfile ${caCert} -verify_return_error`,
    `  Node.js: NODE_EXTRA_CA_CERTS=${caCert} node your-client.js`,
    `  browser: import ${caCert} as an authority (Firefox: Settings > Privacy & Security > Certificates >`,
    '           View Certificates > Authorities > Import; Chrome/Edge: Settings > Privacy and security >',
    '           Security > Manage certificates). Remove it after the course: its key is unencrypted on disk.',
  ];
}
