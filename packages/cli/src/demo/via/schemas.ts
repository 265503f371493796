import { z } from 'zod';
import type { ToolName } from '../scenario.js';

/** The tools' inputs as zod shapes (MCP's `registerTool` and LangChain's `tool` take zod). */
export const INPUT_SHAPES: Record<ToolName, z.ZodRawShape> = {
  send_email: { n: z.number().int(), to: z.string(), subject: z.string() },
  'refund.issue': { order: z.string(), amountUsd: z.number() },
  deploy_service: { service: z.string(), reason: z.string() },
};
