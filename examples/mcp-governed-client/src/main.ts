import { runAgent } from './agent.js';

await runAgent();
