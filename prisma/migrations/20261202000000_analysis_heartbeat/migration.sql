-- AlterTable
ALTER TABLE "codebase_analyses" ADD COLUMN     "heartbeat_at" TIMESTAMPTZ(3);
