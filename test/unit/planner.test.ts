// The planner against a fake runtime, compared as plan text (as docker compose tests do).
import { describe, expect, it } from 'vitest';
import { buildTopology } from '../../src/topology/build.js';
import type { BuildContext } from '../../src/topology/kinds/kind.js';
import { vrrpAddresses } from '../../src/topology/kinds/director.js';
import { phaseOf, planToString, planUp, createdBy, type Desired } from '../../src/topology/plan.js';
import { executePlan } from '../../src/lifecycle/execute.js';
import { chooseSubnets } from '../../src/topology/subnets.js';
import { silentProgress } from '../../src/progress/progress.js';
import { RecordingWriter } from '../../src/util/file-writer.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';
import { listrProgress } from '../../src/cli/progress.js';
import { PassThrough } from 'node:stream';

const SUBNETS = { edge: '172.28.0.0/24', proxy: '172.28.1.0/24', web: '172.28.2.0/24', app: '172.28.3.0/24', office: '172.28.4.0/24' };
const NODES = ['app1', 'app2', 'app3', 'nginx1', 'nginx2', 'nginx3', 'haproxy1', 'haproxy2', 'lvs1', 'lvs2', 'client', 'office'];

function context(over: Partial<BuildContext> = {}): BuildContext {
  const subnets = over.subnets ?? SUBNETS;
  return {
    lab: 'p',
    experiment: 'exp2',
    forwarding: 'nftables',
    images: { client: 'lab-client:1', director: 'lab-director:1', haproxy: 'lab-haproxy:1', nginx: 'lab-nginx:1', app: 'lab-app:1' },
    subnets,
    ...vrrpAddresses(subnets),
    rootDir: '/w',
    workspaceDir: '/w/workspace/exp2',
    certsDir: '/w/certs',
    stateDir: '/w/.lab/p',
    domains: ['go-backend.liujun.com', 'stars.liujun.com'],
    nginxTls: true,
    keepalived: 'lab',
    inodeOf: () => 1000,
    ...over,
  };
}

const desired = (ctx = context(), files: Desired['files'] = []): Desired => ({ topology: buildTopology(ctx), files, dirs: [] });

async function observe(rt: FakeRuntime, applied: Record<string, string> = {}, files: Record<string, Buffer | undefined> = {}) {
  return { networks: await rt.listNetworks({ 'lab.name': 'p' }), containers: await rt.listContainers({ 'lab.name': 'p' }), applied, files, dirs: {} };
}

const hooks = { writer: new RecordingWriter(), workspaceRoot: 'w', experiment: 'exp2', keepalived: 'lab' as const, onApplied: () => {} };
const run = (rt: FakeRuntime, d: Desired) => observe(rt).then((o) => executePlan(rt, planUp(d, o), hooks, silentProgress()));

describe('planUp', () => {
  it('creates networks, then containers, then starts them upstream-first on an empty engine', async () => {
    const rt = new FakeRuntime();
    const plan = planUp(desired(), await observe(rt));
    expect(planToString(plan)).toBe(
      [
        'create network p-edge 172.28.0.0/24',
        'create network p-proxy 172.28.1.0/24',
        'create network p-web 172.28.2.0/24 internal',
        'create network p-app 172.28.3.0/24 internal',
        'create network p-office 172.28.4.0/24',
        ...NODES.map((n) => `create container p-${n} (new)`),
        // The directors first (their VRRP election overlaps the rest), then upstream-first.
        ...['lvs1', 'lvs2', 'app1', 'app2', 'app3', 'client', 'office', 'nginx1', 'nginx2', 'nginx3', 'haproxy1', 'haproxy2'].map((n) => `start container p-${n}`),
      ].join('\n'),
    );
  });

  it('writes a generated file first, only when its content differs, and never overwrites a start file', async () => {
    const rt = new FakeRuntime();
    const files = [
      { file: '/w/.lab/p/nodes/lvs1/keepalived.conf', content: 'new' },
      { file: '/w/workspace/exp2/haproxy/haproxy.cfg', content: 'start', onlyIfMissing: true },
    ];
    const plan = planUp(desired(context(), files), await observe(rt, {}, { '/w/.lab/p/nodes/lvs1/keepalived.conf': Buffer.from('old'), '/w/workspace/exp2/haproxy/haproxy.cfg': Buffer.from('mine') }));
    expect(planToString(plan).split('\n')[0]).toBe('write /w/.lab/p/nodes/lvs1/keepalived.conf (changed)');
    expect(plan.steps.filter((s) => s.op === 'write-file')).toHaveLength(1);
    const same = planUp(desired(context(), files), await observe(rt, {}, { '/w/.lab/p/nodes/lvs1/keepalived.conf': Buffer.from('new'), '/w/workspace/exp2/haproxy/haproxy.cfg': Buffer.from('mine') }));
    expect(same.steps.filter((s) => s.op === 'write-file')).toEqual([]);
  });

  it('plans nothing for a lab that already matches, and recreates nothing', async () => {
    const rt = new FakeRuntime();
    await run(rt, desired());
    rt.calls = [];
    const again = planUp(desired(), await observe(rt));
    expect(again.steps).toEqual([]);
    expect(createdBy(again)).toEqual([]);
    expect(again.unchanged).toHaveLength(NODES.length);
  });

  it('recreates a container an interrupted up created but never connected to all its networks', async () => {
    const rt = new FakeRuntime();
    await run(rt, desired());
    const observed = await observe(rt);
    const lvs1 = observed.containers.find((c) => c.name === 'p-lvs1')!;
    // Created on its first network only: `lab up` was stopped before it connected the rest.
    lvs1.addresses = { 'p-edge': '' };
    lvs1.state = 'created';
    const plan = planUp(desired(), observed);
    const why = 'not on network p-proxy (an interrupted create)';
    expect(planToString(plan).split('\n').slice(0, 3)).toEqual([`remove container p-lvs1 (${why})`, `create container p-lvs1 (${why})`, 'start container p-lvs1']);
    expect(createdBy(plan)).toEqual(['p-lvs1']);
  });

  it('once Ctrl-C aborted the run, no further step starts, and the steps under way are counted', async () => {
    const rt = new FakeRuntime();
    const ac = new AbortController();
    const steps = { running: 0 };
    const plan = planUp(desired(), await observe(rt));
    let seen = -1;
    const orig = rt.createNetwork.bind(rt);
    rt.createNetwork = async (spec) => {
      seen = Math.max(seen, steps.running);
      ac.abort();
      return orig(spec);
    };
    const err = await executePlan(rt, plan, { ...hooks, signal: ac.signal, steps }, silentProgress()).catch((e: unknown) => e);
    expect((err as Error).name).toBe('InterruptedError');
    // The step under way (counted while it ran) finished; no other step began after the abort.
    expect(seen).toBe(1);
    expect(steps.running).toBe(0);
    expect(rt.calls.filter((c) => /^create(Network|Container)/.test(c))).toHaveLength(1);
  });

  it('reloads only the nodes whose config files changed', async () => {
    const rt = new FakeRuntime();
    const first = desired();
    for (const n of first.topology.nodes) if (n.role === 'haproxy' || n.role === 'nginx') n.contentHash = 'v1';
    await run(rt, first);
    const applied = Object.fromEntries(first.topology.nodes.filter((n) => n.contentHash).map((n) => [n.node, 'v1']));
    const next = desired();
    for (const n of next.topology.nodes) if (n.role === 'nginx') n.contentHash = 'v1';
    for (const n of next.topology.nodes) if (n.role === 'haproxy') n.contentHash = 'v2';
    const plan = planUp(next, await observe(rt, applied));
    expect(planToString(plan).split('\n').slice(0, 2)).toEqual(['reload haproxy1 (config files changed)', 'reload haproxy2 (config files changed)']);
    expect(createdBy(plan)).toEqual([]);
  });

  it('reloads back to front: every Nginx before any HAProxy, every HAProxy before any director', async () => {
    const rt = new FakeRuntime();
    const first = desired();
    for (const n of first.topology.nodes) if (['haproxy', 'nginx', 'director'].includes(n.role)) n.contentHash = 'v1';
    await run(rt, first);
    const applied = Object.fromEntries(first.topology.nodes.filter((n) => n.contentHash).map((n) => [n.node, 'v1']));
    const next = desired();
    for (const n of next.topology.nodes) if (['haproxy', 'nginx', 'director'].includes(n.role)) n.contentHash = 'v2';
    const plan = planUp(next, await observe(rt, applied));
    const phases = [...new Set(plan.steps.filter((x) => x.op === 'reload').map((x) => phaseOf(x)))].sort((a, b) => a - b);
    const rolesIn = (ph: number) => [...new Set(plan.steps.filter((x) => x.op === 'reload' && phaseOf(x) === ph).map((x) => ('node' in x ? x.node.role : '')))];
    expect(phases.map(rolesIn)).toEqual([['nginx'], ['haproxy'], ['director']]);
  });

  it('recreates only the directors when the forwarding mode changes', async () => {
    const rt = new FakeRuntime();
    await run(rt, desired());
    const plan = planUp(desired(context({ forwarding: 'ipvs' })), await observe(rt));
    expect(planToString(plan)).toBe(
      [
        'remove container p-lvs1 (config changed)',
        'remove container p-lvs2 (config changed)',
        'create container p-lvs1 (config changed)',
        'create container p-lvs2 (config changed)',
        'start container p-lvs1',
        'start container p-lvs2',
        `unchanged: ${NODES.filter((n) => !n.startsWith('lvs')).map((n) => `p-${n}`).join(', ')}`,
      ].join('\n'),
    );
  });

  it('recreates exactly the nodes that mount a replaced workspace folder, and says why', async () => {
    const rt = new FakeRuntime();
    await run(rt, desired());
    // rm -rf workspace/exp2/haproxy && cp -r backup workspace/exp2/haproxy: a new inode for that folder only.
    const replaced = context({ inodeOf: (p) => (p === '/w/workspace/exp2/haproxy' ? 2000 : 1000) });
    const plan = planUp(desired(replaced), await observe(rt));
    expect(createdBy(plan).sort()).toEqual(['p-haproxy1', 'p-haproxy2']);
    expect(planToString(plan)).toContain('remove container p-haproxy1 (a folder it mounts was replaced)');
  });

  it('starts a stopped container without recreating it', async () => {
    const rt = new FakeRuntime();
    await run(rt, desired());
    await rt.stopContainer('p-nginx2');
    const plan = planUp(desired(), await observe(rt));
    expect(plan.steps.map((s) => s.op)).toEqual(['start-container']);
  });

  it('creates a container removed out of band (docker rm -f), and nothing else', async () => {
    const rt = new FakeRuntime();
    await run(rt, desired());
    await rt.removeContainer('p-haproxy2');
    const plan = planUp(desired(), await observe(rt));
    expect(planToString(plan).split('\n').slice(0, 2)).toEqual(['create container p-haproxy2 (new)', 'start container p-haproxy2']);
  });

  it('a network deleted out of band is made again, with every container on it', async () => {
    const rt = new FakeRuntime();
    await run(rt, desired());
    await rt.removeNetwork('p-office');
    const plan = planUp(desired(), await observe(rt));
    expect(planToString(plan)).toContain('create network p-office 172.28.4.0/24');
    expect(createdBy(plan).sort()).toEqual(['p-lvs1', 'p-lvs2', 'p-office']);
    expect(planToString(plan)).toContain('remove container p-office (network changed (network was missing))');
  });

  it('removes containers of nodes the topology no longer has', async () => {
    const rt = new FakeRuntime();
    await run(rt, desired());
    await rt.createContainer({ ...rt.containers.get('p-app1')!.spec!, name: 'p-app9', labels: { ...rt.containers.get('p-app1')!.labels, 'lab.node': 'app9' } });
    const plan = planUp(desired(), await observe(rt));
    expect(planToString(plan).split('\n')[0]).toBe('remove container p-app9 (not in this experiment)');
  });

  it('recreates a network whose subnet changed, every container on it, and those told its addresses', async () => {
    const rt = new FakeRuntime();
    await run(rt, desired());
    const subnets = { ...SUBNETS, edge: '172.29.9.0/24' };
    const plan = planUp(desired(context({ subnets, ...vrrpAddresses(subnets) })), await observe(rt));
    const text = planToString(plan);
    expect(text).toContain('remove network p-edge (subnet 172.28.0.0/24 → 172.29.9.0/24)');
    expect(text).toContain('create network p-edge 172.29.9.0/24');
    // On it: client and the directors. Told the VIP or the client network: office (LAB_VIP, /etc/hosts) and HAProxy (LAB_CLIENT_NET).
    expect(createdBy(plan).sort()).toEqual(['p-client', 'p-haproxy1', 'p-haproxy2', 'p-lvs1', 'p-lvs2', 'p-office']);
  });
});

describe('two networks of one name (two creates raced)', () => {
  it('keeps the one that matches, removes the other by its ID, and recreates nothing', async () => {
    const rt = new FakeRuntime();
    await run(rt, desired());
    const office = rt.networks.get('p-office')!;
    // A stale twin on another subnet, under its own ID (the name alone is ambiguous to the engine).
    rt.networks.set('twin', { ...office, id: 'twin', subnets: ['172.28.14.0/24'], labels: { ...office.labels, 'lab.config-hash': 'old' } });
    const plan = planUp(desired(), await observe(rt));
    expect(planToString(plan)).toBe(['remove network p-office (a second network of this name)', `unchanged: ${NODES.map((n) => `p-${n}`).join(', ')}`].join('\n'));
    expect(plan.steps).toEqual([expect.objectContaining({ op: 'remove-network', id: 'twin' })]);
    await executePlan(rt, plan, hooks, silentProgress());
    expect(rt.calls.at(-1)).toBe('removeNetwork twin');
    expect([...rt.networks.keys()]).toContain('p-office');
  });

  it('when neither matches, both go and one is made', async () => {
    const rt = new FakeRuntime();
    await run(rt, desired());
    const office = rt.networks.get('p-office')!;
    rt.networks.set('p-office', { ...office, subnets: ['172.28.13.0/24'] });
    rt.networks.set('twin', { ...office, id: 'twin', subnets: ['172.28.14.0/24'] });
    const text = planToString(planUp(desired(), await observe(rt)));
    expect(text).toContain('remove network p-office (subnet 172.28.13.0/24 → 172.28.4.0/24)');
    expect(text).toContain('remove network p-office (a second network of this name)');
    expect(text.match(/create network p-office/g)).toHaveLength(1);
  });
});

describe('executePlan', () => {
  it('a failed step rejects only after the other steps of its phase have ended', async () => {
    // The bug this guards: lab up re-planned after a subnet clash while a network create was still under
    // way, saw the network missing, and created it a second time.
    const rt = new FakeRuntime();
    let slowDone = false;
    rt.createNetwork = async (spec) => {
      if (spec.name === 'p-edge') throw new Error('Pool overlaps with other one on this address space');
      await new Promise((r) => setTimeout(r, 300));
      slowDone = true;
    };
    // The CLI's listr2 progress: it rejects at a phase's first failure, before the others end.
    const quiet = listrProgress(new PassThrough() as unknown as NodeJS.WriteStream);
    const plan = planUp(desired(), await observe(rt));
    await expect(executePlan(rt, plan, hooks, quiet)).rejects.toThrow(/Pool overlaps/);
    expect(slowDone).toBe(true);
  });
});

describe('chooseSubnets', () => {
  const net = (name: string, subnet: string, labels: Record<string, string> = {}) => ({ id: name, name, subnets: [subnet], labels });

  it('skips subnets other networks hold', () => {
    const s = chooseSubnets('a', [net('bridge', '172.17.0.0/16'), net('other', '172.28.0.0/23')]);
    expect(s).toEqual({ edge: '172.28.2.0/24', proxy: '172.28.3.0/24', web: '172.28.4.0/24', app: '172.28.5.0/24', office: '172.28.6.0/24' });
  });

  it("keeps a running lab's own subnets", () => {
    const s = chooseSubnets('a', [net('a-edge', '172.30.0.0/24', { 'lab.name': 'a' }), net('b-edge', '172.28.0.0/24', { 'lab.name': 'b' })]);
    expect(s.edge).toBe('172.30.0.0/24');
    expect(s.proxy).toBe('172.28.1.0/24');
  });

  it('of two networks of one name, keeps the subnet its nodes are on', () => {
    const all = [net('a-edge', '10.254.77.0/24', { 'lab.name': 'a' }), net('a-edge', '172.30.0.0/24', { 'lab.name': 'a' })];
    expect(chooseSubnets('a', all).edge).toBe('10.254.77.0/24');
    expect(chooseSubnets('a', all, { current: { edge: '172.30.0.0/24' } }).edge).toBe('172.30.0.0/24');
  });

  it('names the network that holds a requested subnet', () => {
    expect(() => chooseSubnets('a', [net('school-net', '172.30.0.0/16')], { requested: { edge: '172.30.5.0/24' } })).toThrow(
      'subnet 172.30.5.0/24 for the edge network overlaps 172.30.0.0/16 of Docker network "school-net"',
    );
  });
});
