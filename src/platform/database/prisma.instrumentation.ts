import { PrismaInstrumentation } from '@prisma/instrumentation';

// Prisma's own spans (the client operation, transactions, the driver
// adapter's queries) under the span of the request that ran them. Query
// compilation and result serialization are left out: two spans per query
// that cost more than they tell.
export function prismaInstrumentation(): PrismaInstrumentation {
  return new PrismaInstrumentation({ ignoreSpanTypes: ['prisma:client:serialize', 'prisma:client:compile'] });
}
