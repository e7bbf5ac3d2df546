import { DomainError } from 'src/platform/errors/domain-error.js';

export enum SessionErrorCode {
  SessionExists = 'SESSION_EXISTS',
  SessionNotFound = 'SESSION_NOT_FOUND',
  SessionReadOnly = 'SESSION_READ_ONLY',
  SessionPurged = 'SESSION_PURGED',
  InvalidArgument = 'INVALID_ARGUMENT',
}

export class SessionError extends DomainError<SessionErrorCode> {
  constructor(
    readonly code: SessionErrorCode,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(message, details);
  }

  static notFound(sessionKey: string): SessionError {
    return new SessionError(SessionErrorCode.SessionNotFound, `Session "${sessionKey}" does not exist in this namespace. Check the key, or open it with register_session.`, { sessionKey });
  }

  static purged(sessionKey: string, archivedAt: Date | null): SessionError {
    return new SessionError(SessionErrorCode.SessionPurged, `Session "${sessionKey}" was purged under the retention policy${archivedAt ? ` (it had been archived at ${archivedAt.toISOString()})` : ''}: its entries no longer exist. Its status and lifecycle history remain at handoff://sessions/${sessionKey}.`, { sessionKey });
  }

  static readOnly(sessionKey: string, status: string): SessionError {
    return new SessionError(SessionErrorCode.SessionReadOnly, `Session "${sessionKey}" is ${status} and read-only: it can be read but not written. Register a new session to continue the work.`, { sessionKey, status });
  }
}
