-- CreateTable
CREATE TABLE "ledger_states" (
    "session_id" UUID NOT NULL,
    "through_sequence" INTEGER NOT NULL,
    "state" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_states_pkey" PRIMARY KEY ("session_id")
);

-- AddForeignKey
ALTER TABLE "ledger_states" ADD CONSTRAINT "ledger_states_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
