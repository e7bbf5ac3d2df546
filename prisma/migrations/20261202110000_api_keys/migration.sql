-- CreateTable
CREATE TABLE "api_keys" (
    "id" VARCHAR(16) NOT NULL,
    "namespace" VARCHAR(128) NOT NULL,
    "name" VARCHAR(128) NOT NULL,
    "agents" VARCHAR(256)[] DEFAULT ARRAY[]::VARCHAR(256)[],
    "role" VARCHAR(32),
    "scopes" VARCHAR(64)[] DEFAULT ARRAY[]::VARCHAR(64)[],
    "secret_hash" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "replaces_key_id" VARCHAR(16),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "api_keys_namespace_created_at_idx" ON "api_keys"("namespace", "created_at");
