// A workspace folder replaced under a running lab (rm -rf workspace/exp2 && cp -r backup workspace/exp2):
// the containers still mount the deleted folder and would serve, validate and be graded on files that
// no longer exist. `lab apply` and `lab check` notice it from the inodes `lab up` recorded and repair it
// the only way a bind mount can be repaired: by recreating the nodes that mount it (through `lab up`,
// so a config its tool rejects is still never started).
import path from 'node:path';
import type { Progress } from '../progress/progress.js';
import type { Runtime } from '../runtime/types.js';
import { staleNodes } from '../apply/apply.js';
import { upLab } from './up.js';
import { inodeOf } from '../util/files.js';
import type { LabView } from './observe.js';

export interface RepairDeps {
  runtime: Runtime;
  progress: Progress;
  labName: string;
}

/** Recreates the nodes whose mounts went stale; returns a line saying so, or undefined when none did. */
export async function repairStaleMounts(view: LabView, deps: RepairDeps): Promise<string | undefined> {
  const stale = staleNodes(view.nodes.filter((n) => n.state === 'running'), inodeOf);
  if (!stale.length || !view.experiment || !view.rootDir || !view.workspaceDir) return undefined;
  const folders = [...new Set(stale.flatMap((s) => s.paths))].map((p) => path.relative(view.rootDir!, p) || p);
  await upLab(
    {
      experiment: view.experiment,
      cwd: view.rootDir,
      workspace: view.workspaceDir,
      certsDir: view.certsDir ?? undefined,
      yes: false,
      interactive: false,
      timeoutMs: 90_000,
    },
    deps,
  );
  return `${folders.join(', ')} ${folders.length === 1 ? 'was' : 'were'} replaced after ${stale.map((s) => s.node).join(', ')} started (they still saw the old folder): recreated them`;
}
