import { proxySessions, serveStreamableHttp } from '../src/index.js';
import { filesystemServer, tempDir } from './filesystem.js';
import { setup } from './support.js';

/** write_file and move_file of server-filesystem: destructive, closed world. */
export const WRITE_POINTS = 10;
export const runScope = (runId: string) => `tenant:acme/workflow:support/run:${runId}`;

/**
 * The proxy over Streamable HTTP on an ephemeral 127.0.0.1 port, fronting
 * server-filesystem on a fresh temp dir; each session's run gets `allocated`
 * risk points. `cleanup` collects what to undo after the test.
 */
export async function servedFilesystem(allocated: number, cleanup: (() => Promise<void>)[]) {
  const temp = await tempDir();
  cleanup.push(temp.remove);
  const env = await setup(0, { subject: { tenant: 'acme', workflow: 'support' } });
  await env.ledger.addTemplate({ match: runScope('*'), unit: 'RISK_POINTS', allocated });
  const closed: string[] = [];
  const server = await serveStreamableHttp({
    port: 0,
    openSession: proxySessions({
      governor: env.governor,
      upstream: filesystemServer(temp.dir),
      onSessionClosed: (runId) => void closed.push(runId),
    }),
  });
  cleanup.push(server.close);
  return { ...env, ...temp, server, closed };
}
