/**
 * The endpoint's policy, reloaded when its inputs change: before each decision the approvals file,
 * its directory and the config file are lstat'ed (a few microseconds), and any change in inode, size,
 * times, mode or owner reloads the policy — so an allow-always, an `allowlist add` or a file turned
 * corrupt takes effect on the next request, never later.
 */
import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { type LoadedPolicy, loadPolicy } from '@openclaw/policy';

function signatureOf(path: string | null): string {
  if (!path) return '-';
  const st = lstatSync(path, { throwIfNoEntry: false });
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.mode}:${st.uid}` : 'missing';
}

export class PolicySource {
  private loaded: LoadedPolicy | undefined;
  private signature = '';
  private loading: Promise<LoadedPolicy> | undefined;

  constructor(private readonly opts: { approvalsPath: string; configFile: string | null; cwd?: string; env?: NodeJS.ProcessEnv }) {}

  private currentSignature(): string {
    const { approvalsPath, configFile } = this.opts;
    return `${signatureOf(approvalsPath)}|${signatureOf(dirname(approvalsPath))}|${signatureOf(configFile)}`;
  }

  async current(): Promise<LoadedPolicy> {
    const sig = this.currentSignature();
    if (this.loaded && sig === this.signature) return this.loaded;
    this.loading ??= (async () => {
      try {
        // The signature is taken before reading: a change during the load triggers another one.
        const before = this.currentSignature();
        const loaded = await loadPolicy({
          approvalsFile: this.opts.approvalsPath,
          configFile: this.opts.configFile ?? undefined,
          ...(this.opts.cwd ? { cwd: this.opts.cwd } : {}),
          ...(this.opts.env ? { env: this.opts.env } : {}),
        });
        this.loaded = loaded;
        this.signature = before;
        return loaded;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}
