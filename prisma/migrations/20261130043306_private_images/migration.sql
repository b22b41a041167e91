-- AlterTable
ALTER TABLE "Image" ADD COLUMN     "owner" TEXT;

-- AlterTable
ALTER TABLE "Artifact" ADD COLUMN     "encrypted" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "keyId" TEXT,
ADD COLUMN     "wrappedKey" TEXT;

