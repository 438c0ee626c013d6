// The planner against a fake runtime, compared as plan text (as docker compose tests do).
import { describe, expect, it } from 'vitest';
import { buildTopology, vipFor } from '../../src/topology/build.js';
import type { BuildContext } from '../../src/topology/kinds/kind.js';
import { planToString, planUp, createdBy } from '../../src/topology/plan.js';
import { executePlan } from '../../src/lifecycle/execute.js';
import { chooseSubnets } from '../../src/topology/subnets.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';

function context(over: Partial<BuildContext> = {}): BuildContext {
  const subnets = { edge: '172.28.0.0/24', proxy: '172.28.1.0/24', web: '172.28.2.0/24', app: '172.28.3.0/24' };
  return {
    lab: 'p',
    experiment: 'exp2',
    forwarding: 'nftables',
    images: { client: 'lab-client:1', director: 'lab-director:1', haproxy: 'lab-haproxy:1', nginx: 'lab-nginx:1', app: 'lab-app:1' },
    subnets,
    ...vipFor(subnets),
    workspaceDir: '/w/exp2',
    certsDir: '/w/certs',
    stateDir: '/w/.lab/p',
    domains: ['go-backend.liujun.com', 'stars.liujun.com'],
    nginxTls: true,
    ...over,
  };
}

async function observe(rt: FakeRuntime, applied: Record<string, string> = {}) {
  return { networks: await rt.listNetworks({ 'lab.name': 'p' }), containers: await rt.listContainers({ 'lab.name': 'p' }), applied };
}

describe('planUp', () => {
  it('creates networks, then containers, then starts them upstream-first on an empty engine', async () => {
    const rt = new FakeRuntime();
    const plan = planUp(buildTopology(context()), await observe(rt));
    expect(planToString(plan)).toBe(
      [
        'create network p-edge 172.28.0.0/24',
        'create network p-proxy 172.28.1.0/24',
        'create network p-web 172.28.2.0/24 internal',
        'create network p-app 172.28.3.0/24 internal',
        ...['app1', 'app2', 'app3', 'nginx1', 'nginx2', 'nginx3', 'haproxy1', 'haproxy2', 'lvs1', 'lvs2', 'client'].map((n) => `create container p-${n} (new)`),
        ...['app1', 'app2', 'app3', 'nginx1', 'nginx2', 'nginx3', 'haproxy1', 'haproxy2', 'lvs1', 'lvs2', 'client'].map((n) => `start container p-${n}`),
      ].join('\n'),
    );
  });

  it('plans nothing for a lab that already matches, and recreates nothing', async () => {
    const rt = new FakeRuntime();
    const topo = buildTopology(context());
    await executePlan(rt, planUp(topo, await observe(rt)), { workspaceRoot: 'w', onApplied: () => {} });
    rt.calls = [];
    const again = planUp(buildTopology(context()), await observe(rt));
    expect(again.steps).toEqual([]);
    expect(createdBy(again)).toEqual([]);
    expect(again.unchanged).toHaveLength(11);
  });

  it('reloads only the nodes whose config files changed', async () => {
    const rt = new FakeRuntime();
    const topo = buildTopology(context());
    for (const n of topo.nodes) if (n.role === 'haproxy' || n.role === 'nginx') n.contentHash = 'v1';
    await executePlan(rt, planUp(topo, await observe(rt)), { workspaceRoot: 'w', onApplied: () => {} });
    const applied = Object.fromEntries(topo.nodes.filter((n) => n.contentHash).map((n) => [n.node, 'v1']));
    const next = buildTopology(context());
    for (const n of next.nodes) if (n.role === 'nginx') n.contentHash = 'v1';
    for (const n of next.nodes) if (n.role === 'haproxy') n.contentHash = 'v2';
    const plan = planUp(next, await observe(rt, applied));
    expect(planToString(plan).split('\n').slice(0, 2)).toEqual(['reload haproxy1 (config files changed)', 'reload haproxy2 (config files changed)']);
    expect(createdBy(plan)).toEqual([]);
  });

  it('recreates only the directors when the forwarding mode changes', async () => {
    const rt = new FakeRuntime();
    await executePlan(rt, planUp(buildTopology(context()), await observe(rt)), { workspaceRoot: 'w', onApplied: () => {} });
    const plan = planUp(buildTopology(context({ forwarding: 'ipvs' })), await observe(rt));
    expect(planToString(plan)).toBe(
      [
        'remove container p-lvs1 (config changed)',
        'remove container p-lvs2 (config changed)',
        'create container p-lvs1 (config changed)',
        'create container p-lvs2 (config changed)',
        'start container p-lvs1',
        'start container p-lvs2',
        `unchanged: ${['app1', 'app2', 'app3', 'nginx1', 'nginx2', 'nginx3', 'haproxy1', 'haproxy2', 'client'].map((n) => `p-${n}`).join(', ')}`,
      ].join('\n'),
    );
  });

  it('starts a stopped container without recreating it', async () => {
    const rt = new FakeRuntime();
    await executePlan(rt, planUp(buildTopology(context()), await observe(rt)), { workspaceRoot: 'w', onApplied: () => {} });
    await rt.stopContainer('p-nginx2');
    const plan = planUp(buildTopology(context()), await observe(rt));
    expect(plan.steps.map((s) => s.op)).toEqual(['start-container']);
  });

  it('removes containers of nodes the topology no longer has', async () => {
    const rt = new FakeRuntime();
    await executePlan(rt, planUp(buildTopology(context()), await observe(rt)), { workspaceRoot: 'w', onApplied: () => {} });
    await rt.createContainer({ ...rt.containers.get('p-app1')!.spec!, name: 'p-app9', labels: { ...rt.containers.get('p-app1')!.labels, 'lab.node': 'app9' } });
    const plan = planUp(buildTopology(context()), await observe(rt));
    expect(planToString(plan).split('\n')[0]).toBe('remove container p-app9 (not in this experiment)');
  });

  it('recreates a network whose subnet changed, and every container on it', async () => {
    const rt = new FakeRuntime();
    await executePlan(rt, planUp(buildTopology(context()), await observe(rt)), { workspaceRoot: 'w', onApplied: () => {} });
    const subnets = { edge: '172.29.9.0/24', proxy: '172.28.1.0/24', web: '172.28.2.0/24', app: '172.28.3.0/24' };
    const plan = planUp(buildTopology(context({ subnets, ...vipFor(subnets) })), await observe(rt));
    const text = planToString(plan);
    expect(text).toContain('remove network p-edge (subnet 172.28.0.0/24 → 172.29.9.0/24)');
    expect(text).toContain('create network p-edge 172.29.9.0/24');
    expect(createdBy(plan).sort()).toEqual(['p-client', 'p-lvs1', 'p-lvs2']);
  });
});

describe('chooseSubnets', () => {
  const net = (name: string, subnet: string, labels: Record<string, string> = {}) => ({ id: name, name, subnets: [subnet], labels });

  it('skips subnets other networks hold', () => {
    const s = chooseSubnets('a', [net('bridge', '172.17.0.0/16'), net('other', '172.28.0.0/23')]);
    expect(s).toEqual({ edge: '172.28.2.0/24', proxy: '172.28.3.0/24', web: '172.28.4.0/24', app: '172.28.5.0/24' });
  });

  it("keeps a running lab's own subnets", () => {
    const s = chooseSubnets('a', [net('a-edge', '172.30.0.0/24', { 'lab.name': 'a' }), net('b-edge', '172.28.0.0/24', { 'lab.name': 'b' })]);
    expect(s.edge).toBe('172.30.0.0/24');
    expect(s.proxy).toBe('172.28.1.0/24');
  });

  it('names the network that holds a requested subnet', () => {
    expect(() => chooseSubnets('a', [net('school-net', '172.30.0.0/16')], { requested: { edge: '172.30.5.0/24' } })).toThrow(
      'subnet 172.30.5.0/24 for the edge network overlaps 172.30.0.0/16 of Docker network "school-net"',
    );
  });
});
