import { DomainError } from 'src/platform/errors/domain-error.js';
import { echo } from 'src/platform/input/input-guard.js';

export enum CodebaseErrorCode {
  PathNotAllowed = 'PATH_NOT_ALLOWED',
  AnalysisNotFound = 'ANALYSIS_NOT_FOUND',
  InvalidArgument = 'INVALID_ARGUMENT',
}

export class CodebaseError extends DomainError<CodebaseErrorCode> {
  static notFound(sessionKey: string, analysisId: string): CodebaseError {
    return new CodebaseError(
      CodebaseErrorCode.AnalysisNotFound,
      analysisId === 'latest'
        ? `Session "${echo(sessionKey)}" has no codebase analysis yet. Run analyze_codebase first.`
        : `Session "${echo(sessionKey)}" has no analysis "${echo(analysisId)}". Use the analysisId that analyze_codebase returned, or "latest".`,
      { sessionKey, analysisId },
    );
  }
}
