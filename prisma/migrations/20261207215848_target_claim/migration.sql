-- AlterTable
ALTER TABLE "RolloutTarget" ADD COLUMN     "claim" INTEGER NOT NULL DEFAULT 0;

