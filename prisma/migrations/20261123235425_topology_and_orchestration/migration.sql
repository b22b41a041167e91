-- AlterTable
ALTER TABLE "Image" ADD COLUMN     "pinned" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Hypervisor" ADD COLUMN     "group" TEXT,
ADD COLUMN     "groupSetBy" TEXT;

-- AlterTable
ALTER TABLE "HypervisorImage" ADD COLUMN     "fileMtime" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Rollout" ADD COLUMN     "bandwidthBytesPerSecond" BIGINT,
ADD COLUMN     "maxAttempts" INTEGER NOT NULL DEFAULT 3,
ADD COLUMN     "nodeTimeoutSeconds" INTEGER NOT NULL DEFAULT 1800,
ADD COLUMN     "pausedAt" TIMESTAMP(3),
ADD COLUMN     "perProxyConcurrency" INTEGER NOT NULL DEFAULT 25,
ADD COLUMN     "selector" JSONB,
ADD COLUMN     "strategy" TEXT NOT NULL DEFAULT 'waves';

-- AlterTable
ALTER TABLE "RolloutTarget" ADD COLUMN     "lastProgressAt" TIMESTAMP(3),
ADD COLUMN     "nextAttemptAt" TIMESTAMP(3),
ADD COLUMN     "proxy" TEXT;

-- CreateTable
CREATE TABLE "HypervisorGroup" (
    "name" TEXT NOT NULL,
    "proxies" TEXT[],
    "bandwidthMbps" INTEGER,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "HypervisorGroup_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "Setting" (
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Setting_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "Hypervisor_group_idx" ON "Hypervisor"("group");

-- CreateIndex
CREATE INDEX "Rollout_state_idx" ON "Rollout"("state");

-- CreateIndex
CREATE INDEX "RolloutTarget_rolloutId_state_idx" ON "RolloutTarget"("rolloutId", "state");

