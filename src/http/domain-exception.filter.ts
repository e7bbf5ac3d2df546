import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';

import { DomainError } from 'src/platform/errors/domain-error.js';
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
      return HttpStatus.FORBIDDEN;
    case 'SESSION_PURGED':
      return HttpStatus.GONE;
    case 'ENTRY_TOO_LARGE':
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case 'INVALID_ARGUMENT':
      return HttpStatus.BAD_REQUEST;
    default: {
      const unmapped: never = code;
      throw new Error(`unmapped error code ${String(unmapped)}`);
    }
  }
}

@Catch(DomainError)
export class DomainExceptionFilter implements ExceptionFilter {
  catch(error: DomainError, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    res.status(httpStatusOf(error.code as BatonErrorCode)).json({ error: { code: error.code, message: boundMessage(error.message), ...(error.details ? { details: boundDetails(error.details) } : {}) } });
  }
}
