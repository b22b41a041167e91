-- AlterTable
ALTER TABLE "Hypervisor" ADD COLUMN     "peerUrl" TEXT;

-- AlterTable
ALTER TABLE "Rollout" ADD COLUMN     "excludedPeers" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "source" TEXT NOT NULL DEFAULT 'squid';

-- AlterTable
ALTER TABLE "RolloutTarget" ADD COLUMN     "peerBytes" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "source" TEXT;

