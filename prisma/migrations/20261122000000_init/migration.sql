-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "session_status" AS ENUM ('active', 'dormant', 'expired', 'archived');

-- CreateEnum
CREATE TYPE "entry_type" AS ENUM ('message', 'decision', 'todo', 'code_change', 'file', 'tool_call', 'command', 'error', 'note', 'system');

-- CreateTable
CREATE TABLE "sessions" (
    "id" UUID NOT NULL,
    "namespace" VARCHAR(128) NOT NULL DEFAULT 'default',
    "session_key" VARCHAR(128) NOT NULL,
    "agent_id" VARCHAR(256) NOT NULL,
    "title" VARCHAR(512),
    "status" "session_status" NOT NULL DEFAULT 'active',
    "repo_root" TEXT,
    "repo_remote" TEXT,
    "repo_branch" TEXT,
    "repo_commit" VARCHAR(64),
    "repo_dirty_files" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "last_sequence" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_activity_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "archived_at" TIMESTAMPTZ(3),

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "context_entries" (
    "id" UUID NOT NULL,
    "session_id" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    "type" "entry_type" NOT NULL,
    "content" TEXT NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "token_count" INTEGER NOT NULL,
    "content_hash" CHAR(64) NOT NULL,
    "idempotency_key" VARCHAR(256),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "context_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "session_events" (
    "id" BIGSERIAL NOT NULL,
    "session_id" UUID NOT NULL,
    "from_status" "session_status",
    "to_status" "session_status" NOT NULL,
    "reason" VARCHAR(512) NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "session_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sessions_namespace_status_last_activity_at_idx" ON "sessions"("namespace", "status", "last_activity_at" DESC);

-- CreateIndex
CREATE INDEX "sessions_namespace_agent_id_last_activity_at_idx" ON "sessions"("namespace", "agent_id", "last_activity_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "sessions_namespace_session_key_key" ON "sessions"("namespace", "session_key");

-- CreateIndex
CREATE INDEX "context_entries_session_id_type_sequence_idx" ON "context_entries"("session_id", "type", "sequence");

-- CreateIndex
CREATE UNIQUE INDEX "context_entries_session_id_sequence_key" ON "context_entries"("session_id", "sequence");

-- CreateIndex
CREATE UNIQUE INDEX "context_entries_session_id_idempotency_key_key" ON "context_entries"("session_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "session_events_session_id_at_idx" ON "session_events"("session_id", "at");

-- AddForeignKey
ALTER TABLE "context_entries" ADD CONSTRAINT "context_entries_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "session_events" ADD CONSTRAINT "session_events_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
