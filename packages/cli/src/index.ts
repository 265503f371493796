export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './args.js';
export {
  countOutcomes,
  type DemoOptions,
  type DemoReport,
  type OutcomeCount,
  renderReport,
  runDemo,
} from './demo/demo.js';
export {
  ALLOWLIST,
  DEFAULT_SCENARIO,
  RISK_POINTS,
  type Scenario,
  scenarioPolicy,
  VIAS,
  type Via,
} from './demo/scenario.js';
export { allowlistGateway } from './demo/via/ai-sdk.js';
export { bufferIo, type Io, processIo } from './io.js';
export { HELP, main } from './main.js';
