// Base of every feature's error class: a stable machine-readable code plus a
// message that says what was wrong and how to fix it.
export abstract class DomainError<Code extends string = string> extends Error {
  abstract readonly code: Code;

  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
