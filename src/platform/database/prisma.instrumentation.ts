import { PrismaInstrumentation } from '@prisma/instrumentation';

// Prisma's own spans (client operation, serialization, the driver adapter's
// queries) under the span of the request that ran them.
export function prismaInstrumentation(): PrismaInstrumentation {
  return new PrismaInstrumentation();
}
