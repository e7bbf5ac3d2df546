-- AlterEnum
ALTER TYPE "session_status" ADD VALUE 'purged';

-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "legal_hold" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "max_expires_at" TIMESTAMPTZ(3),
ADD COLUMN     "summary" JSONB,
ADD COLUMN     "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "ttl_seconds" INTEGER;

-- CreateTable
CREATE TABLE "context_entry_archives" (
    "session_id" UUID NOT NULL,
    "first_sequence" INTEGER NOT NULL,
    "last_sequence" INTEGER NOT NULL,
    "entry_count" INTEGER NOT NULL,
    "types" "entry_type"[],
    "raw_bytes" INTEGER NOT NULL,
    "payload" BYTEA NOT NULL,
    "archived_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "context_entry_archives_pkey" PRIMARY KEY ("session_id","first_sequence")
);

-- CreateTable
CREATE TABLE "quarantined_rows" (
    "id" BIGSERIAL NOT NULL,
    "source_table" VARCHAR(64) NOT NULL,
    "reason" VARCHAR(512) NOT NULL,
    "row" JSONB NOT NULL,
    "quarantined_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "quarantined_rows_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "quarantined_rows_quarantined_at_idx" ON "quarantined_rows"("quarantined_at");

-- CreateIndex
CREATE INDEX "sessions_active_idle_idx" ON "sessions"("last_activity_at", "id") WHERE (status = 'active');

-- CreateIndex
CREATE INDEX "sessions_live_expiry_idx" ON "sessions"("expires_at", "id") WHERE (status = ANY (ARRAY['active'::session_status, 'dormant'::session_status]));

-- CreateIndex
CREATE INDEX "sessions_expired_idx" ON "sessions"("expires_at", "id") WHERE (status = 'expired');

-- CreateIndex
CREATE INDEX "sessions_archived_idx" ON "sessions"("archived_at", "id") WHERE (status = 'archived' AND NOT legal_hold);

-- AddForeignKey
ALTER TABLE "context_entry_archives" ADD CONSTRAINT "context_entry_archives_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The payload is brotli-compressed by Baton already: store it out of line
-- without a second, useless pglz pass.
ALTER TABLE "context_entry_archives" ALTER COLUMN "payload" SET STORAGE EXTERNAL;
