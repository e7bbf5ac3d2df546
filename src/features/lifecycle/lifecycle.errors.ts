import { DomainError } from 'src/platform/errors/domain-error.js';

export enum LifecycleErrorCode {
  InvalidArgument = 'INVALID_ARGUMENT',
}

export class LifecycleError extends DomainError<LifecycleErrorCode> {}
