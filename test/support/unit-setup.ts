import { Logger } from '@nestjs/common';

// The services log through Nest's logger, whose console output would fill a
// unit run's report; a spec that checks what is logged spies on Logger.
Logger.overrideLogger(false);
