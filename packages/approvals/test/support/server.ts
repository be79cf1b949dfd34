/**
 * An endpoint in its own process, so a test can see it crash. Prints {"ready": SOCKET} when
 * listening and {"stats": …} after SIGTERM. Nothing here catches what the server does not.
 * Usage: server.ts DIR LIMITS_JSON
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApprovalsServer } from '../../src/endpoint/serve.js';
import { CONFIG } from './config.js';

const [dir, limitsJson] = process.argv.slice(2) as [string, string];
writeFileSync(join(dir, 'openclaw.yaml'), CONFIG);
writeFileSync(join(dir, 'exec-approvals.json'), JSON.stringify({ version: 1, agents: { '*': { allowlist: [{ pattern: '/usr/bin/ls' }] } } }), { mode: 0o600 });
const server = await startApprovalsServer({
  location: {
    approvalsPath: join(dir, 'exec-approvals.json'),
    socketPath: join(dir, 'sock', 'a.sock'),
    configFile: join(dir, 'openclaw.yaml'),
    tokenStore: 'memory',
  },
  cwd: dir,
  limits: JSON.parse(limitsJson),
});
process.stdout.write(`${JSON.stringify({ ready: server.socketPath })}\n`);
process.once('SIGTERM', async () => {
  await server.close();
  process.stdout.write(`${JSON.stringify({ stats: server.stats })}\n`);
  process.exit(0);
});
