import { DomainError } from 'src/platform/errors/domain-error.js';

export enum LimitErrorCode {
  RateLimited = 'RATE_LIMITED',
  Overloaded = 'OVERLOADED',
  TooManySessions = 'TOO_MANY_SESSIONS',
}

// A caller that asks for more than its share: each error says how long to
// wait (or what to close) before trying again.
export class LimitError extends DomainError<LimitErrorCode> {
  static rateLimited(what: string, limit: string, retryAfterSeconds: number): LimitError {
    return new LimitError(
      LimitErrorCode.RateLimited,
      `Rate limit reached: ${what} is limited to ${limit} for this credential. Wait ${retryAfterSeconds} s before the next call; calls made sooner are refused too.`,
      { retryAfterSeconds, limit },
    );
  }

  static overloaded(inFlight: number, retryAfterSeconds: number): LimitError {
    return new LimitError(
      LimitErrorCode.Overloaded,
      `This credential already has ${inFlight} requests in progress, the most BATON_MAX_IN_FLIGHT_PER_CREDENTIAL allows. Wait for one to finish, then retry in ${retryAfterSeconds} s; send fewer requests at once.`,
      { retryAfterSeconds, inFlight },
    );
  }

  static tooManySessions(open: number): LimitError {
    return new LimitError(
      LimitErrorCode.TooManySessions,
      `This credential already holds ${open} open MCP sessions, the most BATON_MAX_MCP_SESSIONS_PER_CREDENTIAL allows. Reuse an open session, close one you no longer need (DELETE /mcp with its Mcp-Session-Id), or wait until an idle one is closed.`,
      { openSessions: open },
    );
  }

  get retryAfterSeconds(): number | undefined {
    const value = this.details?.retryAfterSeconds;
    return typeof value === 'number' ? value : undefined;
  }
}
