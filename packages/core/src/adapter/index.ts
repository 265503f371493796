/**
 * The logic every adapter shares, written once: model-call pricing, caps →
 * request changes, risk points, the tool-call guard, denial detection, stream
 * settlement, calls seen as run events, loop guards. Each adapter only maps
 * its framework's hooks onto these.
 */
export {
  adapterOptionFields,
  anyFunction,
  checkAdapterOptions,
  deniedToolResult,
  downgradeFor,
  guardToolCall,
  type ModelAdapterOptions,
  mapDowngrade,
  pricingOptionFields,
  runIdFor,
  runLevelOf,
  type ToolAdapterOptions,
  toolGuardFor,
  toolOptionFields,
  withMethods,
  withRunLevel,
} from './adapter-options.js';
export {
  ApprovalRequiredError,
  type AwaitApprovalOptions,
  approvalKey,
  awaitApproval,
  decidedByText,
  pauseForApproval,
} from './approval.js';
export { approvalToAsk } from './approval-check.js';
export {
  type ApprovalPrompt,
  type ApprovalWait,
  approvalPrompt,
} from './approval-pause.js';
export { type BudgetNoteOption, budgetNote, defaultBudgetNote } from './budget-note.js';
export {
  type AppliedCaps,
  type CappableCall,
  type CappedModelCall,
  type CapsPlan,
  capModelCall,
  type ModelCallToCap,
  planCaps,
} from './caps-plan.js';
export { budgetDenialOf, isBudgetDenied } from './denial.js';
export { argsHash, loopBreakerMetadata } from './loop-breaker.js';
export { answeredCost, runsCost } from './model-answer.js';
export {
  actionNameOf,
  assertPriceable,
  DEFAULT_MAX_OUTPUT_TOKENS,
  deliveredCost,
  downgradesUnder,
  type ModelCallInput,
  type ModelCallPlan,
  type ModelIdentity,
  type ModelPricingOptions,
  modelCallCost,
  modelRefOf,
  planEmbeddingCall,
  planModelCall,
  pricingOf,
  type StepRequest,
} from './model-call.js';
export {
  circuitOpenFor,
  decideNextModelStep,
  decideStep,
  loopExhausted,
  type NextStep,
  nextStepTools,
  noToolAffordable,
  type ToolAffordability,
} from './next-step.js';
export {
  InvalidRiskPoints,
  type RiskPointSources,
  type RiskPoints,
  type RiskPointsByTool,
  resolveRiskPoints,
} from './risk-points.js';
export { type ModelRun, type ModelRunStart, type RunEventOptions, RunEvents } from './run-events.js';
export {
  type DeliveredCall,
  type Delivery,
  type StartedStream,
  type StreamHooks,
  settleStream,
  streamModelCall,
  trackDelivery,
  usageMetrics,
} from './stream.js';
export {
  currentCaps,
  governToolCall,
  INVALID_RISK_POINTS,
  type ToolCall,
  type ToolGuardOptions,
  toolCallOf,
} from './tool-call.js';
export { startToolCall } from './tool-events.js';
