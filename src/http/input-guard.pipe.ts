import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';

import { jsonProblem } from 'src/platform/input/input-guard.js';
import { InputError } from 'src/platform/input/input.errors.js';

// Path parameters and query strings of REST routes meet the same rules as
// MCP arguments (no NUL, no lone surrogate, bounded nesting): 400, not 500.
@Injectable()
export class InputGuardPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const problem = jsonProblem(value);
    if (!problem) return value;
    const where = [metadata.type === 'param' ? 'the path' : 'the query string', metadata.data, problem.path].filter((part) => part).join(' ');
    throw new InputError(`${where} ${problem.problem}.`);
  }
}
