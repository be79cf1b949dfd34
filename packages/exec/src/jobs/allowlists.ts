/** The job and repo allowlists a process uses (config → $OPENCLAW_HOME → bundled defaults). */
import { allowlistPath, type JobAllowlist, loadJobAllowlist, loadRepoAllowlist, type OpenclawConfig, type RepoAllowlist } from '@openclaw/policy';

export interface Allowlists {
  jobs: JobAllowlist;
  repos: RepoAllowlist;
  jobsPath: string;
  reposPath: string;
}

export async function loadAllowlists(config: OpenclawConfig, configFile: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Allowlists> {
  const jobsPath = allowlistPath('jobs', config, configFile, env);
  const reposPath = allowlistPath('repos', config, configFile, env);
  const [jobs, repos] = await Promise.all([loadJobAllowlist(jobsPath), loadRepoAllowlist(reposPath)]);
  return { jobs, repos, jobsPath, reposPath };
}
