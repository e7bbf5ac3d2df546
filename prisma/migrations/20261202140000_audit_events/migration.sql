-- CreateEnum
CREATE TYPE "audit_outcome" AS ENUM ('success', 'denied', 'failed');

-- CreateTable
CREATE TABLE "audit_events" (
    "id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "namespace" VARCHAR(128),
    "action" VARCHAR(64) NOT NULL,
    "outcome" "audit_outcome" NOT NULL,
    "credential_id" VARCHAR(256),
    "agent_id" VARCHAR(256),
    "target" VARCHAR(512),
    "source" VARCHAR(256),
    "detail" JSONB,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_events_namespace_at_id_idx" ON "audit_events"("namespace", "at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "audit_events_at_id_idx" ON "audit_events"("at" DESC, "id" DESC);
