-- CreateEnum
CREATE TYPE "handoff_type" AS ENUM ('context_transfer', 'full_handoff');

-- CreateEnum
CREATE TYPE "handoff_status" AS ENUM ('pending', 'accepted', 'rejected', 'completed', 'expired');

-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "handed_off_agent_ids" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "handoffs" (
    "id" UUID NOT NULL,
    "namespace" VARCHAR(128) NOT NULL,
    "session_id" UUID NOT NULL,
    "type" "handoff_type" NOT NULL,
    "status" "handoff_status" NOT NULL DEFAULT 'pending',
    "from_agent_id" VARCHAR(256) NOT NULL,
    "target_agent_id" VARCHAR(256) NOT NULL,
    "instructions" TEXT,
    "token_budget" INTEGER NOT NULL,
    "package_tokens" INTEGER NOT NULL,
    "package" JSON NOT NULL,
    "through_sequence" INTEGER NOT NULL,
    "touched_files" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "handoffs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "handoff_events" (
    "id" BIGSERIAL NOT NULL,
    "handoff_id" UUID NOT NULL,
    "from_status" "handoff_status",
    "to_status" "handoff_status" NOT NULL,
    "agent_id" VARCHAR(256),
    "note" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "handoff_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "handoffs_namespace_target_agent_id_status_created_at_idx" ON "handoffs"("namespace", "target_agent_id", "status", "created_at" DESC);

-- CreateIndex
CREATE INDEX "handoffs_session_id_created_at_idx" ON "handoffs"("session_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "handoffs_one_pending_full_handoff_per_session" ON "handoffs"("session_id") WHERE (type = 'full_handoff' AND status = 'pending');

-- CreateIndex
CREATE INDEX "handoff_events_handoff_id_id_idx" ON "handoff_events"("handoff_id", "id");

-- AddForeignKey
ALTER TABLE "handoffs" ADD CONSTRAINT "handoffs_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "handoff_events" ADD CONSTRAINT "handoff_events_handoff_id_fkey" FOREIGN KEY ("handoff_id") REFERENCES "handoffs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
