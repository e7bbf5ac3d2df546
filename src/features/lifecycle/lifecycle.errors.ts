import { DomainError } from 'src/platform/errors/domain-error.js';

export enum LifecycleErrorCode {
  InvalidArgument = 'INVALID_ARGUMENT',
}

export class LifecycleError extends DomainError<LifecycleErrorCode> {
  constructor(
    readonly code: LifecycleErrorCode,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(message, details);
  }
}
