-- AlterTable
ALTER TABLE "Rollout" ADD COLUMN     "retryBudgetSeconds" INTEGER NOT NULL DEFAULT 600;

