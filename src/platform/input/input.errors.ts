import { DomainError } from 'src/platform/errors/domain-error.js';

// Input that breaks a rule of platform/input, whichever feature received it.
export class InputError extends DomainError<'INVALID_ARGUMENT'> {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}
