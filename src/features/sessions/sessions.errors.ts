import { DomainError } from 'src/platform/errors/domain-error.js';
import { echo } from 'src/platform/input/input-guard.js';

export enum SessionErrorCode {
  SessionExists = 'SESSION_EXISTS',
  SessionNotFound = 'SESSION_NOT_FOUND',
  SessionReadOnly = 'SESSION_READ_ONLY',
  SessionHandedOff = 'SESSION_HANDED_OFF',
  SessionPurged = 'SESSION_PURGED',
  InvalidArgument = 'INVALID_ARGUMENT',
}

export class SessionError extends DomainError<SessionErrorCode> {
  static notFound(sessionKey: string): SessionError {
    return new SessionError(SessionErrorCode.SessionNotFound, `Session "${echo(sessionKey)}" does not exist in this namespace. Check the key, or open it with register_session.`, { sessionKey });
  }

  static handedOff(sessionKey: string, agentId: string, owner: string): SessionError {
    return new SessionError(
      SessionErrorCode.SessionHandedOff,
      `Session "${sessionKey}" was handed off: ${agentId} passed it to ${owner} with a full handoff, so ${agentId} can no longer append to it. Read it as before; to keep working, register a session of your own or ask ${owner} for a handoff back.`,
      { sessionKey, agentId, owner },
    );
  }

  static purged(sessionKey: string, archivedAt: Date | null): SessionError {
    return new SessionError(SessionErrorCode.SessionPurged, `Session "${sessionKey}" was purged under the retention policy${archivedAt ? ` (it had been archived at ${archivedAt.toISOString()})` : ''}: its entries no longer exist. Its status and lifecycle history remain at handoff://sessions/${sessionKey}.`, { sessionKey });
  }

  static readOnly(sessionKey: string, status: string): SessionError {
    return new SessionError(SessionErrorCode.SessionReadOnly, `Session "${sessionKey}" is ${status} and read-only: it can be read but not written. Register a new session to continue the work.`, { sessionKey, status });
  }
}
