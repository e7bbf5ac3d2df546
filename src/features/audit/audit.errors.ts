import { DomainError } from 'src/platform/errors/domain-error.js';

export enum AuditErrorCode {
  InvalidArgument = 'INVALID_ARGUMENT',
}

export class AuditError extends DomainError<AuditErrorCode> {}
