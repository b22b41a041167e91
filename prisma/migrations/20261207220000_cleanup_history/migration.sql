-- CreateTable
CREATE TABLE "Cleanup" (
    "id" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "removeArtifact" BOOLEAN NOT NULL,
    "purgeProxies" BOOLEAN NOT NULL,
    "artifactOutcome" TEXT NOT NULL,
    "artifactPurges" JSONB,
    "artifactError" TEXT,
    "createdBy" TEXT,
    "runBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Cleanup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CleanupNode" (
    "cleanupId" TEXT NOT NULL,
    "hypervisorName" TEXT NOT NULL,
    "outcome" TEXT NOT NULL DEFAULT 'pending',
    "freedBytes" BIGINT NOT NULL DEFAULT 0,
    "error" TEXT,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "CleanupNode_pkey" PRIMARY KEY ("cleanupId","hypervisorName")
);

-- CreateIndex
CREATE INDEX "Cleanup_state_idx" ON "Cleanup"("state");

-- CreateIndex
CREATE INDEX "Cleanup_createdAt_id_idx" ON "Cleanup"("createdAt", "id");

-- CreateIndex
CREATE INDEX "Cleanup_imageId_idx" ON "Cleanup"("imageId");

-- CreateIndex
CREATE INDEX "CleanupNode_cleanupId_outcome_idx" ON "CleanupNode"("cleanupId", "outcome");

-- AddForeignKey
ALTER TABLE "Cleanup" ADD CONSTRAINT "Cleanup_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CleanupNode" ADD CONSTRAINT "CleanupNode_cleanupId_fkey" FOREIGN KEY ("cleanupId") REFERENCES "Cleanup"("id") ON DELETE CASCADE ON UPDATE CASCADE;

