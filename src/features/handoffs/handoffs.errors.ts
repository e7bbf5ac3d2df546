import { DomainError } from 'src/platform/errors/domain-error.js';
import { echo } from 'src/platform/input/input-guard.js';

export enum HandoffErrorCode {
  HandoffNotFound = 'HANDOFF_NOT_FOUND',
  HandoffNotForAgent = 'HANDOFF_NOT_FOR_AGENT',
  HandoffAlreadyPending = 'HANDOFF_ALREADY_PENDING',
  HandoffInvalidState = 'HANDOFF_INVALID_STATE',
  InvalidArgument = 'INVALID_ARGUMENT',
}

export class HandoffError extends DomainError<HandoffErrorCode> {
  static notFound(handoffId: string): HandoffError {
    return new HandoffError(HandoffErrorCode.HandoffNotFound, `Handoff "${echo(handoffId)}" does not exist in this namespace. Use the handoffId from request_handoff, or list yours with list_handoffs.`, { handoffId });
  }

  static notForAgent(handoffId: string, agentId: string, target: string): HandoffError {
    return new HandoffError(HandoffErrorCode.HandoffNotForAgent, `Handoff "${handoffId}" is addressed to ${target}, not to ${agentId}; only the addressed agent may accept, reject or complete it.`, { handoffId, agentId, targetAgent: target });
  }
}
