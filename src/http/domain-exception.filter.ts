import { Catch, HttpException, HttpStatus, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';

import { AccessErrorCode } from 'src/platform/access/access.errors.js';
import { DomainError } from 'src/platform/errors/domain-error.js';
import { asUnavailable, RETRY_AFTER_SECONDS, UNAVAILABLE } from 'src/platform/errors/unavailable.error.js';
import { LimitError } from 'src/platform/limits/limits.errors.js';
import { boundDetails, boundMessage } from 'src/platform/input/input-guard.js';
import type { BatonErrorCode } from 'src/features/baton-error-code.js';

// Maps every domain error code to its HTTP status, in one place.
export function httpStatusOf(code: BatonErrorCode): HttpStatus {
  switch (code) {
    case 'SESSION_NOT_FOUND':
    case 'ANALYSIS_NOT_FOUND':
      return HttpStatus.NOT_FOUND;
    case 'PATH_NOT_ALLOWED':
      return HttpStatus.FORBIDDEN;
    case 'SESSION_EXISTS':
      return HttpStatus.CONFLICT;
    case 'SESSION_READ_ONLY':
    case 'SESSION_HANDED_OFF':
    case 'HANDOFF_ALREADY_PENDING':
    case 'HANDOFF_INVALID_STATE':
      return HttpStatus.CONFLICT;
    case 'HANDOFF_NOT_FOUND':
      return HttpStatus.NOT_FOUND;
    case 'HANDOFF_NOT_FOR_AGENT':
    case 'AGENT_NOT_ALLOWED':
    case 'INSUFFICIENT_SCOPE':
      return HttpStatus.FORBIDDEN;
    case 'SESSION_PURGED':
      return HttpStatus.GONE;
    case 'ENTRY_TOO_LARGE':
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case 'INVALID_ARGUMENT':
      return HttpStatus.BAD_REQUEST;
    case 'UNAVAILABLE':
    case 'OVERLOADED':
      return HttpStatus.SERVICE_UNAVAILABLE;
    case 'RATE_LIMITED':
    case 'TOO_MANY_SESSIONS':
      return HttpStatus.TOO_MANY_REQUESTS;
    default: {
      const unmapped: never = code;
      throw new Error(`unmapped error code ${String(unmapped)}`);
    }
  }
}

// Domain errors and dependency outages get Baton's error body; anything else
// is left to Nest's default handling.
@Catch()
export class DomainExceptionFilter extends BaseExceptionFilter {
  override catch(error: unknown, host: ArgumentsHost): void {
    const known = error instanceof DomainError ? error : asUnavailable(error);
    const res = host.switchToHttp().getResponse<Response>();
    if (!known) {
      // Nest's own messages can echo the request (a 404 names the whole URL,
      // query string included): bounded like Baton's.
      const body: unknown = error instanceof HttpException ? error.getResponse() : undefined;
      if (!(error instanceof HttpException) || typeof body !== 'object' || body === null || !('message' in body) || typeof body.message !== 'string') return super.catch(error, host);
      res.status(error.getStatus()).json({ ...body, message: boundMessage(body.message) });
      return;
    }
    if (known.code === UNAVAILABLE) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    if (known instanceof LimitError && known.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(known.retryAfterSeconds));
    if (known.code === AccessErrorCode.InsufficientScope) res.setHeader('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${String(known.details?.requiredScope)}"`);
    res.status(httpStatusOf(known.code as BatonErrorCode)).json({ error: { code: known.code, message: boundMessage(known.message), ...(known.details ? { details: boundDetails(known.details) } : {}) } });
  }
}
