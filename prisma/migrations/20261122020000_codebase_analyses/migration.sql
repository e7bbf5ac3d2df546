-- CreateEnum
CREATE TYPE "analysis_type" AS ENUM ('structure', 'dependencies', 'full');

-- CreateEnum
CREATE TYPE "analysis_status" AS ENUM ('queued', 'running', 'completed', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "analysis_file_status" AS ENUM ('analyzed', 'syntax_error', 'binary', 'too_large', 'unreadable', 'outside_root');

-- AlterEnum
ALTER TYPE "entry_type" ADD VALUE 'analysis';

-- CreateTable
CREATE TABLE "codebase_analyses" (
    "id" UUID NOT NULL,
    "session_id" UUID NOT NULL,
    "root" TEXT NOT NULL,
    "analysis_type" "analysis_type" NOT NULL,
    "include" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "exclude" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "status" "analysis_status" NOT NULL DEFAULT 'queued',
    "job_id" VARCHAR(256),
    "processed" INTEGER NOT NULL DEFAULT 0,
    "total" INTEGER NOT NULL DEFAULT 0,
    "fingerprint" VARCHAR(64),
    "summary" JSONB,
    "graph" JSONB,
    "map" TEXT,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "codebase_analyses_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "analysis_files" (
    "analysis_id" UUID NOT NULL,
    "path" TEXT NOT NULL,
    "status" "analysis_file_status" NOT NULL,
    "size_bytes" INTEGER NOT NULL,
    "content_hash" CHAR(64),
    "problem" TEXT,
    "facts" JSONB,
    "imports" JSONB,
    "rank" DOUBLE PRECISION NOT NULL DEFAULT 0,

    CONSTRAINT "analysis_files_pkey" PRIMARY KEY ("analysis_id","path")
);

-- CreateIndex
CREATE INDEX "codebase_analyses_session_id_created_at_idx" ON "codebase_analyses"("session_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "codebase_analyses_root_status_completed_at_idx" ON "codebase_analyses"("root", "status", "completed_at" DESC);

-- AddForeignKey
ALTER TABLE "codebase_analyses" ADD CONSTRAINT "codebase_analyses_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "analysis_files" ADD CONSTRAINT "analysis_files_analysis_id_fkey" FOREIGN KEY ("analysis_id") REFERENCES "codebase_analyses"("id") ON DELETE CASCADE ON UPDATE CASCADE;
