// Base of every feature's error class: a stable machine-readable code plus a
// message that says what was wrong and how to fix it. Feature classes only
// narrow the code type and add named constructors.
export abstract class DomainError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
