// HTTP from the grader's vantage points. In a lab, requests run as curl in a container (the client for
// edge traffic, an HAProxy node for its stats page), many per `docker exec`; with --target they run
// from this process with node:http/https. Both force every connection to one address, whatever the
// URL's host (curl --connect-to, our own socket here): redirects can never send traffic elsewhere.
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Runtime } from '../runtime/types.js';
import { sleep } from '../util/sleep.js';
import { runClientScript } from './client-script.js';

export type Scheme = 'http' | 'https';

export interface HttpRequest {
  scheme: Scheme;
  /** The URL's host: Host header and SNI. */
  host: string;
  port: number;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  /** Request body (form-encoded by the caller). */
  data?: string;
  auth?: { user: string; password: string };
  /** Follow up to this many redirects (0: do not follow). */
  maxRedirects?: number;
  timeoutMs?: number;
  /** Requests with the same group run in order in one curl process, reusing its connections (keep-alive). */
  group?: string;
  /**
   * In a group: start each request at least this long after the one before it started (curl --rate), so
   * the proxy has finished with one before the next arrives.
   */
  gapMs?: number;
  /** The source address to send from (curl --interface; node:http localAddress): one of the sender's own. */
  source?: string;
  /** Connect here instead of the client's own address (e.g. 127.0.0.1 inside an HAProxy node). */
  connectTo?: string;
}

/** `source`: the sender does not hold the source address asked for (curl exit 45, EADDRNOTAVAIL). */
export type HttpErrorCode = 'refused' | 'timeout' | 'tls' | 'too-many-redirects' | 'source' | 'other';

export interface HttpResponse {
  /** An HTTP response arrived (possibly after redirects). */
  ok: boolean;
  /** 0 when no response arrived. */
  status: number;
  /** Lower-case names; of the last response. */
  headers: Record<string, string>;
  body: string;
  redirects: number;
  finalUrl: string;
  error?: string;
  errorCode?: HttpErrorCode;
  /** This side's address of the (last) connection. */
  localAddress?: string;
}

export interface HttpClient {
  /** Where requests come from, for messages ("from client", "from this machine"). */
  readonly origin: string;
  batch(reqs: HttpRequest[]): Promise<HttpResponse[]>;
}

export function urlOf(r: Pick<HttpRequest, 'scheme' | 'host' | 'port' | 'path'>): string {
  const host = isIP(r.host) === 6 ? `[${r.host}]` : r.host;
  const dflt = r.scheme === 'http' ? 80 : 443;
  return `${r.scheme}://${host}${r.port === dflt ? '' : `:${r.port}`}${r.path}`;
}

/** POSIX shell quoting. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------------
// curl in a container

/** curl's arguments for one request; `token` marks the -w trailer so bodies and metadata can be split. */
export function curlArgs(r: HttpRequest, index: number, connectTo: string, token: string): string[] {
  const secs = ((r.timeoutMs ?? 3000) / 1000).toFixed(1);
  const to = r.connectTo ?? connectTo;
  const args = ['-s', '-k', '--connect-to', `::${isIP(to) === 6 ? `[${to}]` : to}:`, '--proto', '=http,https', '--proto-redir', '=http,https'];
  if (r.source) args.push('--interface', r.source);
  args.push('-m', secs, '--connect-timeout', secs);
  if (r.method && r.method !== 'GET') args.push('-X', r.method);
  for (const [k, v] of Object.entries(r.headers ?? {})) args.push('-H', `${k}: ${v}`);
  if (r.data !== undefined) args.push('--data-raw', r.data);
  if (r.auth) args.push('-u', `${r.auth.user}:${r.auth.password}`);
  if (r.maxRedirects) args.push('-L', '--max-redirs', String(r.maxRedirects));
  args.push('-w', `\n@@${token} W ${index} %{json}\n@@${token} H %{header_json}\n@@${token} END\n`);
  args.push(urlOf(r));
  return args;
}

/** The shell script that runs `groups` curl processes in parallel and prints their output in order. */
export function curlScript(reqs: HttpRequest[], connectTo: string, token: string, parallel: number): string {
  const n = Math.max(1, Math.min(parallel, reqs.length));
  const groups: string[][][] = Array.from({ length: n }, () => []);
  const keys = new Map<string, number>();
  const gaps: number[] = [];
  reqs.forEach((r, i) => {
    let bucket = i % n;
    if (r.group !== undefined) {
      if (!keys.has(r.group)) keys.set(r.group, keys.size % n);
      bucket = keys.get(r.group)!;
    }
    groups[bucket]!.push(curlArgs(r, i, connectTo, token));
    if (r.gapMs) gaps[bucket] = Math.max(gaps[bucket] ?? 0, r.gapMs);
  });
  const lines = ['d=$(mktemp -d)'];
  groups.forEach((g, gi) => {
    if (g.length === 0) return;
    const argv = g.map((a) => a.map(shq).join(' ')).join(' --next ');
    // --rate is global to the process: at most that many transfers started per minute.
    const rate = gaps[gi] ? `--rate ${Math.max(1, Math.floor(60_000 / gaps[gi]!))}/m ` : '';
    lines.push(`curl ${rate}${argv} > "$d/${gi}" 2>/dev/null &`);
  });
  lines.push('wait');
  lines.push(`cat ${groups.flatMap((g, gi) => (g.length ? [`"$d/${gi}"`] : [])).join(' ')}`);
  lines.push('rm -rf "$d"');
  return `${lines.join('\n')}\n`;
}

function codeOf(exit: number): HttpErrorCode | undefined {
  if (exit === 0) return undefined;
  if (exit === 7) return 'refused';
  if (exit === 28) return 'timeout';
  if (exit === 35 || exit === 60 || exit === 58 || exit === 59 || exit === 51) return 'tls';
  if (exit === 47) return 'too-many-redirects';
  if (exit === 45) return 'source';
  return 'other';
}

/** Parses what curlScript printed into one response per request (in request order). */
export function parseCurlOutput(out: string, token: string, count: number): HttpResponse[] {
  const results: (HttpResponse | undefined)[] = new Array(count).fill(undefined);
  const end = `@@${token} END\n`;
  for (const chunk of out.split(end)) {
    const w = chunk.lastIndexOf(`\n@@${token} W `);
    if (w < 0) continue;
    const body = chunk.slice(0, w);
    const meta = chunk.slice(w + `\n@@${token} W `.length);
    const [wline = '', hpart = ''] = meta.split(`\n@@${token} H `);
    const sp = wline.indexOf(' ');
    const index = Number(wline.slice(0, sp));
    let info: Record<string, unknown> = {};
    let hdr: Record<string, string[]> = {};
    try {
      info = JSON.parse(wline.slice(sp + 1)) as Record<string, unknown>;
    } catch {
      /* leave empty */
    }
    try {
      hdr = JSON.parse(hpart.trim() || '{}') as Record<string, string[]>;
    } catch {
      /* leave empty */
    }
    const exit = Number(info.exitcode ?? 0);
    const status = Number(info.http_code ?? info.response_code ?? 0);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(hdr)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
    if (!Number.isInteger(index) || index < 0 || index >= count) continue;
    results[index] = {
      ok: status > 0 && exit !== 47,
      status,
      headers,
      body,
      redirects: Number(info.num_redirects ?? 0),
      finalUrl: String(info.url_effective ?? ''),
      error: exit ? String(info.errormsg ?? `curl exit ${exit}`) : undefined,
      errorCode: codeOf(exit),
      localAddress: typeof info.local_ip === 'string' && info.local_ip ? info.local_ip : undefined,
    };
  }
  return results.map(
    (r) => r ?? { ok: false, status: 0, headers: {}, body: '', redirects: 0, finalUrl: '', error: 'no result from curl', errorCode: 'other' as const },
  );
}

export class CurlClient implements HttpClient {
  constructor(
    private readonly runtime: Runtime,
    private readonly container: string,
    /** Every connection goes here. */
    private readonly connectTo: string,
    readonly origin: string,
    private readonly parallel = 8,
  ) {}

  async batch(reqs: HttpRequest[]): Promise<HttpResponse[]> {
    if (reqs.length === 0) return [];
    const token = randomBytes(6).toString('hex');
    const n = Math.max(1, Math.min(this.parallel, reqs.length));
    // Each curl process runs its share one after another: allow for the slowest share.
    const perGroup = reqs.some((r) => r.group !== undefined) ? reqs.length : Math.ceil(reqs.length / n);
    const longest = Math.max(...reqs.map((r) => (r.timeoutMs ?? 3000) * (1 + (r.maxRedirects ?? 0))));
    const r = await runClientScript(this.runtime, this.container, curlScript(reqs, this.connectTo, token, n), perGroup * longest + 5000);
    return parseCurlOutput(r.stdout, token, reqs.length);
  }
}

// ---------------------------------------------------------------------------------------------------
// node:http from this process (--target)

function nodeErrorCode(e: NodeJS.ErrnoException): HttpErrorCode {
  if (e.code === 'ECONNREFUSED') return 'refused';
  if (e.code === 'EADDRNOTAVAIL') return 'source';
  if (e.code === 'ETIMEDOUT' || e.code === 'LAB_TIMEOUT') return 'timeout';
  if (/SSL|TLS|CERT|EPROTO/i.test(`${e.code ?? ''} ${e.message}`)) return 'tls';
  return 'other';
}

interface OneShot {
  status: number;
  headers: Record<string, string>;
  body: string;
  localAddress?: string;
}

function requestOnce(address: string, url: URL, r: HttpRequest, port: number): Promise<OneShot> {
  return new Promise((resolve, reject) => {
    const isHttps = url.protocol === 'https:';
    const headers: Record<string, string> = { Host: url.hostname, 'User-Agent': 'lab-check', Accept: '*/*', ...(r.headers ?? {}) };
    if (r.auth) headers.Authorization = `Basic ${Buffer.from(`${r.auth.user}:${r.auth.password}`).toString('base64')}`;
    if (r.data !== undefined) {
      headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
      headers['Content-Length'] = String(Buffer.byteLength(r.data));
    }
    const opts: https.RequestOptions = {
      host: address,
      port,
      path: `${url.pathname}${url.search}`,
      method: r.method ?? (r.data !== undefined ? 'POST' : 'GET'),
      headers,
      agent: false,
      ...(r.source ? { localAddress: r.source } : {}),
      ...(isHttps ? { servername: isIP(url.hostname) ? undefined : url.hostname, rejectUnauthorized: false } : {}),
    };
    const req = (isHttps ? https : http).request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks).toString('utf8'), localAddress: res.socket?.localAddress });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${r.timeoutMs ?? 3000} ms`), { code: 'LAB_TIMEOUT' })), r.timeoutMs ?? 3000);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(r.data);
  });
}

export class NodeClient implements HttpClient {
  constructor(
    /** Every connection goes here. */
    private readonly address: string,
    /** Where redirects to the standard ports really go (e.g. a target on high ports). */
    private readonly portMap: { http: number; https: number },
    readonly origin = 'this machine',
  ) {}

  async one(r: HttpRequest): Promise<HttpResponse> {
    let url = new URL(urlOf(r));
    let port = r.port;
    let redirects = 0;
    let last: OneShot | undefined;
    for (;;) {
      try {
        last = await requestOnce(this.address, url, redirects === 0 ? r : { ...r, method: 'GET', data: undefined }, port);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        return { ok: false, status: 0, headers: {}, body: '', redirects, finalUrl: url.href, error: err.message, errorCode: nodeErrorCode(err) };
      }
      const loc = last.headers.location;
      if (!r.maxRedirects || last.status < 300 || last.status > 399 || !loc) break;
      if (redirects >= r.maxRedirects) {
        const error = `Maximum (${r.maxRedirects}) redirects followed`;
        return { ok: false, status: last.status, headers: last.headers, body: '', redirects, finalUrl: url.href, error, errorCode: 'too-many-redirects', localAddress: last.localAddress };
      }
      const next = new URL(loc, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') break;
      redirects++;
      port = next.port ? Number(next.port) : next.protocol === 'http:' ? this.portMap.http : this.portMap.https;
      url = next;
    }
    return { ok: true, status: last.status, headers: last.headers, body: last.body, redirects, finalUrl: url.href, localAddress: last.localAddress };
  }

  async batch(reqs: HttpRequest[]): Promise<HttpResponse[]> {
    // A group that asks for a gap runs one request after another, that far apart; the rest at once.
    const chains = new Map<string, number[]>();
    reqs.forEach((r, i) => {
      if (r.group !== undefined && r.gapMs) chains.set(r.group, [...(chains.get(r.group) ?? []), i]);
    });
    const out: HttpResponse[] = new Array(reqs.length);
    const chained = new Set([...chains.values()].flat());
    await Promise.all([
      ...reqs.map(async (r, i) => {
        if (!chained.has(i)) out[i] = await this.one(r);
      }),
      ...[...chains.values()].map(async (idx) => {
        for (const i of idx) {
          const started = Date.now();
          out[i] = await this.one(reqs[i]!);
          await sleep(Math.max(0, started + (reqs[i]!.gapMs ?? 0) - Date.now()));
        }
      }),
    ]);
    return out;
  }
}
