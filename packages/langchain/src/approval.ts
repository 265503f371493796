import {
  type ApprovalPrompt,
  type ApprovalWait,
  approvalPrompt,
  type Governor,
  InvalidRequestError,
} from '@governor/core';
import { interrupt, isGraphInterrupt } from '@langchain/langgraph';

/**
 * A tool call paused for approval: `interrupt` (the default when the governor
 * has an approvals policy) pauses the graph, as `humanInTheLoopMiddleware`
 * does, until an operator decides and the run is resumed with a `Command`;
 * `message` answers with a ToolMessage that says how to approve it (a later
 * call with the same arguments, in the same run, then runs once).
 */
export type ApprovalsMode = 'interrupt' | 'message';

/** The value of the interrupt a paused tool call raises (`result.__interrupt__[0].value`): plain JSON. */
export interface GovernorApprovalInterrupt extends ApprovalPrompt {
  type: 'governor.approval';
  /** The LangChain tool call waiting: it runs when the graph resumes after an approval. */
  toolCallId: string;
  /** How the run goes on once decided. */
  resume: string;
}

const RESUME =
  'once decided, resume the run: agent.invoke(new Command({ resume: true }), { configurable: { thread_id } }) — approved, the call runs once; rejected, the model reads why; still pending, it pauses again';

/**
 * What the tool guard needs for approvals in this mode: the tool call id as
 * the approval's key (stable when the graph re-runs the node on resume) and a
 * wait that interrupts the graph. The resume value is not a decision: the
 * ledger's approval is.
 */
export function approvalsFor(
  governor: Governor,
  mode: ApprovalsMode | undefined,
  toolCall: { id?: string | undefined; name: string; args: unknown },
): { callId?: string; waitForApproval?: ApprovalWait } {
  if (!governor.approvals || mode === 'message' || !toolCall.id) return {};
  const toolCallId = toolCall.id;
  const waitForApproval: ApprovalWait = (paused) => {
    const value: GovernorApprovalInterrupt = {
      type: 'governor.approval',
      ...approvalPrompt(paused, toolCall),
      toolCallId,
      resume: RESUME,
    };
    try {
      interrupt(value); // throws GraphInterrupt; on resume it returns, and the guard looks again
    } catch (error) {
      if (isGraphInterrupt(error)) throw error;
      throw new InvalidRequestError(
        "governorMiddleware.approvals: 'interrupt' needs a checkpointer (createAgent({ checkpointer })) — or use approvals: 'message'",
        { cause: (error as Error).message },
      );
    }
    return 'retry';
  };
  return { callId: toolCallId, waitForApproval };
}
