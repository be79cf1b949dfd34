/** A worker's runtime rooted in a test's temporary $OPENCLAW_HOME. */
import { join } from 'node:path';
import { DEFAULT_POLICY_PATH, detectSandbox } from '@openclaw/policy';
import { checkoutRepo } from '../../src/jobs/checkout.js';
import type { WorkerRuntime } from '../../src/worker/worker.js';

export function runtimeFor(home: string, extra: Partial<WorkerRuntime> = {}): WorkerRuntime {
  return {
    pathDirs: DEFAULT_POLICY_PATH,
    sandbox: detectSandbox('bwrap', DEFAULT_POLICY_PATH),
    openclawHome: home,
    artifactsDir: join(home, 'artifacts'),
    mirrorsDir: join(home, 'mirrors'),
    userHome: home,
    checkout: checkoutRepo,
    ...extra,
  };
}
