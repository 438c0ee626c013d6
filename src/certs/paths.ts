// Where each generated file lives under the output directory (the layout the tutorial uses).
import path from 'node:path';
import { bundleFileName } from './domains.js';

export const CA_DIR = 'ca';
export const HAPROXY_DIR = 'haproxy';
/** Directory names under outDir that are not domains. */
export const RESERVED_DIRS = new Set([CA_DIR, HAPROXY_DIR]);

export interface CaPaths {
  dir: string;
  cert: string;
  key: string;
}

export interface LeafPaths {
  dir: string;
  cert: string;
  key: string;
  bundle: string;
}

export function caPaths(outDir: string): CaPaths {
  const dir = path.join(outDir, CA_DIR);
  return { dir, cert: path.join(dir, 'ca.crt'), key: path.join(dir, 'ca.key') };
}

export function haproxyDir(outDir: string): string {
  return path.join(outDir, HAPROXY_DIR);
}

export function leafPaths(outDir: string, domain: string): LeafPaths {
  const dir = path.join(outDir, domain);
  return {
    dir,
    cert: path.join(dir, 'certificate.crt'),
    key: path.join(dir, 'private.key'),
    bundle: path.join(haproxyDir(outDir), bundleFileName(domain)),
  };
}
