-- AlterTable
ALTER TABLE "Image" ADD COLUMN     "virtualSize" BIGINT;

