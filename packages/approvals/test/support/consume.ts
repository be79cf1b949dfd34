/**
 * A separate consumer process: waits until `goAt`, then sends `n` concurrent retries of one request
 * with the approval token and prints the decisions as JSON.
 * Usage: consume.ts SOCKET TOKEN_FILE_TOKEN TOKEN_ID REQUEST_JSON N GO_AT_MS
 */
import { createApprovalsClient } from '../../src/client/client.js';

const [socketPath, token, id, requestJson, n, goAt] = process.argv.slice(2) as [string, string, string, string, string, string];
const client = createApprovalsClient({ socketPath, token });
await new Promise((r) => setTimeout(r, Math.max(0, Number(goAt) - Date.now())));
const results = await Promise.all(
  Array.from({ length: Number(n) }, () =>
    client.call<{ decision: string }>({ action: 'local.exec', request: JSON.parse(requestJson), approvalToken: id }).then(
      (a) => a.decision,
      (e) => `error:${e.code}`,
    ),
  ),
);
process.stdout.write(JSON.stringify(results));
