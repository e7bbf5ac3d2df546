-- CreateTable
CREATE TABLE "lifecycle_stats" (
    "name" VARCHAR(64) NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "lifecycle_stats_pkey" PRIMARY KEY ("name")
);
