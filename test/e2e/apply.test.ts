// The student's workspace on a real lab: lab apply (validate in the container, graceful reload, the
// broken-config path with its errata hint and the last good config still live), zero dropped requests
// during reloads, lab up refusing to recreate over a broken config, lab solve and lab reset with backups.
// One exp2 lab shared by the file, removed afterwards also when a test fails.
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DOMAINS } from '../../src/certs/index.js';
import { loadLab } from '../../src/labs/load.js';
import { listBackups } from '../../src/workspace/replace.js';
import { applyTarget, resolveTarget } from '../../src/apply/apply.js';
import { assertConfigsBeforeRecreate } from '../../src/apply/guard.js';
import { haproxyProcs, MASTER_SOCKET } from '../../src/apply/services.js';
import type { Plan } from '../../src/topology/plan.js';
import { FileError } from '../../src/util/errors.js';
import { lab as runLab } from '../helpers/cli.js';
import { startLab, type TestLab } from '../helpers/lab.js';

let lab: TestLab;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const container = (node: string) => `${lab.name}-${node}`;
const sh = (node: string, script: string, timeoutMs = 30_000) => lab.runtime.exec(container(node), ['sh', '-c', script], { timeoutMs });
/** `lab -n <lab> …` in-process, on the real engine, from the lab's folder. */
const cli = async (args: string[], name = lab.name) => {
  const r = await runLab(['-n', name, ...args], { runtime: lab.runtime, cwd: lab.cwd });
  return { exitCode: r.code, stdout: r.stdout, stderr: r.stderr };
};
const cfg = () => path.join(lab.result.workspaceDir, 'haproxy', 'haproxy.cfg');

/** The app's JSON answer for a domain through the VIP, or undefined when nothing answers. */
async function get(domain: string, scheme: 'http' | 'https'): Promise<{ host: string; proto: string } | undefined> {
  const r = await sh('client', `curl -sS -m 5 ${scheme}://${domain}/api/e2e`);
  if (r.exitCode !== 0) return undefined;
  try {
    return JSON.parse(r.stdout) as { host: string; proto: string };
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  lab = await startLab('exp2', 'apply');
}, 600_000);
afterAll(async () => {
  await lab?.destroy();
});

describe('lab apply', () => {
  it('with nothing changed, says so and reloads nothing', async () => {
    const r = await cli(['apply']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Nothing changed since the last apply');
  });

  it('lab solve: backs up, writes the reference solution, applies it; all seven domains route over HTTP and HTTPS', async () => {
    const before = readFileSync(cfg(), 'utf8');
    const r = await cli(['solve', 'exp2', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Backed up 9 file\(s\) to workspace\/\.backups\/exp2-/);
    expect(r.stdout).toContain('✓ haproxy: haproxy -c ok, reloaded haproxy1, haproxy2');
    expect(r.stdout).toContain('✓ nginx: nginx -t ok, reloaded nginx1, nginx2, nginx3');
    const backup = listBackups(lab.result.workspaceDir, 'exp2').at(-1)!;
    expect(readFileSync(path.join(backup, 'haproxy', 'haproxy.cfg'), 'utf8')).toBe(before);
    for (const d of DEFAULT_DOMAINS) {
      expect(await get(d, 'http'), d).toMatchObject({ host: d, proto: 'http' });
      expect(await get(d, 'https'), d).toMatchObject({ host: d, proto: 'https' });
    }
  });

  it('reloads with zero dropped requests: ab through the VIP while both HAProxy and all Nginx nodes reload twice', async () => {
    const before = await haproxyProcs(lab.runtime, container('haproxy1'));
    // ab runs until we stop it (SIGINT makes ab print what it has), so the reloads always happen under
    // load however fast this machine is; -t only bounds it if the test dies.
    const abRun = sh('client', 'ab -q -t 90 -n 1000000 -c 4 http://go-backend.liujun.com/api/ab 2>&1', 120_000);
    let abDone = false;
    void abRun.then(() => (abDone = true));
    await sleep(500);
    for (let i = 0; i < 2; i++) {
      const r = await applyTarget(lab.runtime, resolveTarget(await lab.view(), { labName: lab.name, cwd: lab.cwd }), { cwd: lab.cwd, force: true });
      expect(r.ok).toBe(true);
      expect(r.outcomes.map((o) => `${o.role} ${o.status} ${o.nodes.join(',')}`)).toEqual(['haproxy reloaded haproxy1,haproxy2', 'nginx reloaded nginx1,nginx2,nginx3']);
    }
    // The reloads happened while ab was still sending.
    expect(abDone).toBe(false);
    await sleep(500);
    await sh('client', 'pkill -INT -x ab');
    const ab = await abRun;
    const complete = Number(/Complete requests:\s+(\d+)/.exec(ab.stdout)?.[1] ?? 0);
    expect(complete, ab.stdout).toBeGreaterThan(100);
    expect(ab.stdout).toMatch(/Failed requests:\s+0/);
    expect(ab.stdout).not.toMatch(/Non-2xx responses/);
    const after = await haproxyProcs(lab.runtime, container('haproxy1'));
    expect(after!.reloads).toBe(before!.reloads + 2);
    expect(after!.failed).toBe(0);
  });

  it('reloads back to front: a HAProxy config that points at a port the new Nginx config opens meets it open, so no server starts DOWN', async () => {
    // HAProxy marks a server DOWN at its first failed check after a reload (init-state up), for rise × inter.
    // Reloaded together with the Nginx that opens the port, HAProxy must come second (a CI run once cut
    // two of seven handshakes: the servers of a pass-through were DOWN when lab check came).
    const good = readFileSync(cfg(), 'utf8');
    const nginxDir = path.join(lab.result.workspaceDir, 'nginx', 'conf.d');
    const nginxGood = Object.fromEntries(DEFAULT_DOMAINS.map((d) => [d, readFileSync(path.join(nginxDir, `${d}.conf`), 'utf8')]));
    // From the reference solution's files, whatever the tests before left in the workspace.
    const sol = loadLab('exp2').solutionDir;
    const solCfg = readFileSync(path.join(sol, 'haproxy', 'haproxy.cfg'), 'utf8');
    const solNginx = (d: string) => readFileSync(path.join(sol, 'nginx', 'conf.d', `${d}.conf`), 'utf8');
    const start = solCfg.indexOf('frontend https-in');
    const end = solCfg.indexOf('\n# One backend per domain');
    expect(start > 0 && end > start).toBe(true);
    const passThrough =
      'frontend https-in\n    bind *:443\n    mode tcp\n    tcp-request inspect-delay 5s\n    tcp-request content accept if { req.ssl_hello_type 1 }\n' +
      '    default_backend tls_pass\n\nbackend tls_pass\n    mode tcp\n    server a nginx1:10443 check\n    server b nginx2:10443 check\n    server c nginx3:10443 check\n';
    const progress: string[] = [];
    try {
      writeFileSync(cfg(), solCfg.slice(0, start) + passThrough + solCfg.slice(end));
      for (const d of DEFAULT_DOMAINS) {
        const upstream = /proxy_pass http:\/\/(\w+);/.exec(solNginx(d))![1];
        writeFileSync(
          path.join(nginxDir, `${d}.conf`),
          `${solNginx(d)}\nserver {\n    listen 10443 ssl;\n    server_name ${d};\n    ssl_certificate /etc/nginx/ssl/${d}/certificate.crt;\n` +
            `    ssl_certificate_key /etc/nginx/ssl/${d}/private.key;\n    location / { proxy_pass http://${upstream}; }\n}\n`,
        );
      }
      const r = await applyTarget(lab.runtime, resolveTarget(await lab.view(), { labName: lab.name, cwd: lab.cwd }), { cwd: lab.cwd, onProgress: (l) => progress.push(l) });
      expect(r.ok, r.outcomes.map((o) => o.error?.message).join('; ')).toBe(true);
      const reloads = progress.filter((l) => l.startsWith('reload '));
      expect(reloads).toEqual(['reload nginx1', 'reload nginx2', 'reload nginx3', 'reload haproxy1', 'reload haproxy2']);
      // Right after apply, as a student's next command: every SNI's handshake through the VIP gets its certificate.
      const hs = await sh(
        'client',
        DEFAULT_DOMAINS.map((d) => `timeout 4 openssl s_client -no-CAfile -no-CApath -no-CAstore -connect ${d}:443 -servername ${d} </dev/null 2>&1 | grep -q 'BEGIN CERTIFICATE' && echo "ok ${d}" || echo "cut ${d}"`).join('\n'),
      );
      expect(hs.stdout.trim().split('\n')).toEqual(DEFAULT_DOMAINS.map((d) => `ok ${d}`));
      for (const node of ['haproxy1', 'haproxy2']) {
        // srv_op_state is the sixth field: 2 is running (UP).
        const st = await sh(node, `echo "@1 show servers state tls_pass" | socat -t2 - UNIX-CONNECT:${MASTER_SOCKET}`);
        const states = st.stdout.split('\n').filter((l) => /^\d+ tls_pass /.test(l)).map((l) => l.split(' ')[5]);
        expect(states, st.stdout).toEqual(['2', '2', '2']);
      }
    } finally {
      writeFileSync(cfg(), good);
      for (const d of DEFAULT_DOMAINS) writeFileSync(path.join(nginxDir, `${d}.conf`), nginxGood[d]!);
      await applyTarget(lab.runtime, resolveTarget(await lab.view(), { labName: lab.name, cwd: lab.cwd }), { cwd: lab.cwd });
    }
  });

  it('the `block` directive: the tool\'s error at workspace/exp2/haproxy/haproxy.cfg:<line>, the errata hint, and the old config still serving', async () => {
    const good = readFileSync(cfg(), 'utf8');
    const reloadsBefore = (await haproxyProcs(lab.runtime, container('haproxy1')))!.reloads;
    // A new frontend that would answer on :8081 if this config were ever loaded.
    const added = '\nfrontend admin-in\n    bind *:8081\n    acl is_admin path_beg /admin\n    acl allowed_ip src 10.0.0.0/8\n    block if is_admin !allowed_ip\n    http-request return status 200 content-type text/plain string new-config\n';
    appendFileSync(cfg(), added);
    const blockLine = good.split('\n').length + 5;
    try {
      const r = await cli(['apply']);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toContain('✗ haproxy: haproxy -c rejected the config, nothing reloaded');
      expect(r.stderr).toContain(`error: workspace/exp2/haproxy/haproxy.cfg:${blockLine}: The 'block' directive is not supported anymore since HAProxy 2.1.`);
      expect(r.stderr).toMatch(/hint: Errata 1: write `http-request deny if is_admin !allowed_ip` instead/);
      expect(r.stderr).toContain('haproxy1, haproxy2 keep running on the last good config');
      expect(r.stderr).not.toMatch(/\n\s+at /);

      // The running HAProxy never loaded it: no reload, the new frontend is absent, the old routes answer.
      expect((await haproxyProcs(lab.runtime, container('haproxy1')))!.reloads).toBe(reloadsBefore);
      for (const node of ['haproxy1', 'haproxy2']) {
        const probe = await sh(node, 'curl -s -m 2 http://127.0.0.1:8081/ || echo refused');
        expect(probe.stdout.trim()).toBe('refused');
      }
      for (const d of DEFAULT_DOMAINS) expect(await get(d, 'https'), d).toMatchObject({ host: d });
    } finally {
      writeFileSync(cfg(), good + added.replace('    block if', '    http-request deny if'));
    }
    // Fixed as the hint says: it applies, and the new frontend is live.
    const fixed = await cli(['apply']);
    expect(fixed.exitCode, fixed.stderr).toBe(0);
    expect((await sh('haproxy1', 'curl -s -m 2 http://127.0.0.1:8081/')).stdout).toBe('new-config');
  });

  it('lab up refuses to recreate a node over a broken config (validated on the lab network, like the new container would see it)', async () => {
    const good = readFileSync(cfg(), 'utf8');
    const topo = lab.result.topology!;
    const node = topo.nodes.find((n) => n.node === 'haproxy1')!;
    const plan: Plan = {
      steps: [
        { op: 'remove-container', name: node.container.name, reason: 'config changed' },
        { op: 'create-container', node, reason: 'config changed' },
        { op: 'start-container', node },
      ],
      unchanged: [],
    };
    const opts = { experiment: 'exp2', keepalived: 'lab' as const, labels: { 'lab.name': lab.name }, keptNetworks: topo.networks.map((n) => n.spec.name), running: [node.container.name], workspaceRoot: 'workspace/exp2' };
    await expect(assertConfigsBeforeRecreate(lab.runtime, plan, opts)).resolves.toBeUndefined();
    writeFileSync(cfg(), `${good}\nfrontend broken\n    bind *:8082\n    block if TRUE\n`);
    try {
      const err = await assertConfigsBeforeRecreate(lab.runtime, plan, opts).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FileError);
      expect((err as FileError).message).toMatch(/^workspace\/exp2\/haproxy\/haproxy\.cfg:\d+: The 'block' directive/);
      expect((err as FileError).hint).toMatch(/nothing was recreated/);
      // A node that is not running has no good config to keep (an interrupted `lab up` created it and
      // never started it): it is recreated as planned, and `lab apply` reports the file then.
      await expect(assertConfigsBeforeRecreate(lab.runtime, plan, { ...opts, running: [] })).resolves.toBeUndefined();
    } finally {
      writeFileSync(cfg(), good);
    }
    // The container was never touched.
    expect((await lab.runtime.inspectContainer(node.container.name))?.state).toBe('running');
  });

  it('an nginx error maps to the conf.d file and line, with the errata 2 hint', async () => {
    const conf = path.join(lab.result.workspaceDir, 'nginx', 'conf.d', '00-log-format.conf');
    const aside = path.join(lab.cwd, 'log-format.aside');
    renameSync(conf, aside);
    try {
      const r = await cli(['apply']);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/error: workspace\/exp2\/nginx\/conf\.d\/[\w.-]+\.conf:\d+: unknown log format "json_combined"/);
      expect(r.stderr).toMatch(/hint: Errata 2: define it in the http context/);
      expect(r.stderr).toContain('nginx1, nginx2, nginx3 keep running on the last good config');
      expect(await get('stars.liujun.com', 'http')).toMatchObject({ host: 'stars.liujun.com' });
    } finally {
      renameSync(aside, conf);
    }
    expect((await cli(['apply'])).exitCode).toBe(0);
  });
});

describe('lab reset', () => {
  it('backs the student\'s work up, restores the start files and applies them', async () => {
    const work = readFileSync(cfg(), 'utf8');
    expect(work).toContain('frontend https-in');
    const r = await cli(['reset', 'exp2', '--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Backed up \d+ file\(s\) to workspace\/\.backups\/exp2-/);
    expect(r.stdout).toContain('Restored the start files');
    const backup = listBackups(lab.result.workspaceDir, 'exp2').at(-1)!;
    expect(readFileSync(path.join(backup, 'haproxy', 'haproxy.cfg'), 'utf8')).toBe(work);
    expect(readFileSync(cfg(), 'utf8')).toBe(readFileSync(path.join(lab.result.lab.startDir, 'haproxy', 'haproxy.cfg'), 'utf8'));
    // Applied: HAProxy no longer routes port 80, Nginx redirects to HTTPS again.
    expect(await get('go-backend.liujun.com', 'http')).toBeUndefined();
    const nginx = await sh('haproxy1', "curl -s -o /dev/null -w '%{http_code}' -H 'Host: go-backend.liujun.com' http://nginx1:10080/api/x");
    expect(nginx.stdout).toBe('301');
    // Every earlier backup is still there.
    expect(listBackups(lab.result.workspaceDir, 'exp2').length).toBeGreaterThanOrEqual(2);
    expect(existsSync(path.join(lab.result.workspaceDir, 'haproxy', 'certs'))).toBe(true);
  });

  it('wrong experiment or no lab: one-line errors with the fix', async () => {
    const wrong = await cli(['apply', 'exp1']);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain(`error: lab "${lab.name}" runs exp2, not exp1`);
    const none = await cli(['apply'], 't-none-running');
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/is not running\nhint: Start it with `lab up/);
  });
});
