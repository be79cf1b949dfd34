/** A client for the endpoint the commands would use: located like they do, signed with the file's token. */
import { type ApprovalsLocation, type LocateOptions, locateApprovals, readSocketToken } from '../file/locate.js';
import { type ApprovalsClient, createApprovalsClient } from './client.js';

export async function connectApprovals(opts: LocateOptions & { ioTimeoutMs?: number } = {}): Promise<{ client: ApprovalsClient; location: ApprovalsLocation }> {
  const location = await locateApprovals(opts);
  const token = await readSocketToken(location.approvalsPath);
  const client = createApprovalsClient({ socketPath: location.socketPath, token, ...(opts.ioTimeoutMs ? { ioTimeoutMs: opts.ioTimeoutMs } : {}) });
  return { client, location };
}
