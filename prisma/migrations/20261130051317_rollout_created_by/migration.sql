-- AlterTable
ALTER TABLE "Rollout" ADD COLUMN     "createdBy" TEXT;

-- CreateIndex
CREATE INDEX "Rollout_createdAt_id_idx" ON "Rollout"("createdAt", "id");

