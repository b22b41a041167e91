-- AlterTable
ALTER TABLE "Artifact" ADD COLUMN     "publishedBy" TEXT;

-- AlterTable
ALTER TABLE "Hypervisor" ADD COLUMN     "connectedTo" TEXT;

-- CreateTable
CREATE TABLE "ServerInstance" (
    "id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "lockKey" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ServerInstance_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Hypervisor_connectedTo_idx" ON "Hypervisor"("connectedTo");


-- Socket.io's Postgres adapter (server/cluster/cluster-adapter.ts): messages over NOTIFY's 8000-byte
-- limit. Not a Prisma model: only the adapter reads and writes it.
CREATE TABLE IF NOT EXISTS "socket_io_attachments" (
    "id" BIGSERIAL UNIQUE,
    "created_at" TIMESTAMPTZ DEFAULT NOW(),
    "payload" BYTEA
);
