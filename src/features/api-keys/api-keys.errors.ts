import { DomainError } from 'src/platform/errors/domain-error.js';
import { echo } from 'src/platform/input/input-guard.js';
import { ROLE_NAMES, SCOPES } from 'src/platform/access/scopes.js';

export enum ApiKeyErrorCode {
  InvalidArgument = 'INVALID_ARGUMENT',
  KeyNotFound = 'API_KEY_NOT_FOUND',
  KeyRevoked = 'API_KEY_REVOKED',
}

export class ApiKeyError extends DomainError<ApiKeyErrorCode> {
  static unknownRole(role: string): ApiKeyError {
    return new ApiKeyError(ApiKeyErrorCode.InvalidArgument, `Unknown role "${echo(role)}". Use one of ${ROLE_NAMES.join(', ')}.`, { role });
  }

  static unknownScope(scope: string): ApiKeyError {
    return new ApiKeyError(ApiKeyErrorCode.InvalidArgument, `Unknown scope "${echo(scope)}". Use one or more of ${SCOPES.join(', ')}, or a role.`, { scope });
  }

  static noGrant(): ApiKeyError {
    return new ApiKeyError(ApiKeyErrorCode.InvalidArgument, `A key needs a role or at least one scope: give --role (${ROLE_NAMES.join(', ')}) or --scope.`);
  }

  static badDuration(value: string): ApiKeyError {
    return new ApiKeyError(ApiKeyErrorCode.InvalidArgument, `"${echo(value)}" is not a duration. Write a positive whole number followed by m (minutes), h (hours), d (days) or w (weeks), e.g. 30d or 12h.`, { value });
  }

  static invalid(field: string, value: string, rule: string): ApiKeyError {
    return new ApiKeyError(ApiKeyErrorCode.InvalidArgument, `${field} "${echo(value)}" is not valid: ${rule}.`, { field, value });
  }

  static notFound(id: string): ApiKeyError {
    return new ApiKeyError(ApiKeyErrorCode.KeyNotFound, `No API key has the id "${echo(id)}". Ids are the 16 hex characters after baton_ in a key, as shown by \`baton keys list\`.`, { id });
  }

  static alreadyRevoked(id: string): ApiKeyError {
    return new ApiKeyError(ApiKeyErrorCode.KeyRevoked, `API key "${id}" is already revoked; create a new key with \`baton keys create\`.`, { id });
  }
}
