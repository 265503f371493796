import { runAgent } from './agent.js';
import { pickModels } from './models.js';

const models = await pickModels();
console.log(
  models.real
    ? 'Using OpenAI (OPENAI_API_KEY is set).\n'
    : 'No OPENAI_API_KEY: using a scripted fake model.\n',
);
await runAgent(models);
