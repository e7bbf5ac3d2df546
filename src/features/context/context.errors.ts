import { DomainError } from 'src/platform/errors/domain-error.js';

export enum ContextErrorCode {
  EntryTooLarge = 'ENTRY_TOO_LARGE',
  InvalidArgument = 'INVALID_ARGUMENT',
}

export class ContextError extends DomainError<ContextErrorCode> {}
