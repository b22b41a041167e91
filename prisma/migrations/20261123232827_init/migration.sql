-- CreateTable
CREATE TABLE "Image" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "size" BIGINT,
    "diskFormat" TEXT,
    "containerFormat" TEXT,
    "checksum" TEXT,
    "osHashAlgo" TEXT,
    "osHashValue" TEXT,
    "visibility" TEXT,
    "glanceUpdatedAt" TEXT,
    "source" TEXT NOT NULL,
    "syncedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Image_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Artifact" (
    "imageId" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "codec" TEXT NOT NULL,
    "level" INTEGER NOT NULL,
    "sourceKey" TEXT NOT NULL,
    "sourceSize" BIGINT,
    "bytesRead" BIGINT NOT NULL DEFAULT 0,
    "compressedSize" BIGINT,
    "sha256" TEXT,
    "error" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Artifact_pkey" PRIMARY KEY ("imageId")
);

-- CreateTable
CREATE TABLE "Hypervisor" (
    "name" TEXT NOT NULL,
    "online" BOOLEAN NOT NULL DEFAULT false,
    "version" TEXT,
    "cacheDir" TEXT,
    "freeBytes" BIGINT,
    "proxies" TEXT[],
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Hypervisor_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "HypervisorImage" (
    "hypervisorName" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL DEFAULT 0,
    "verified" BOOLEAN NOT NULL DEFAULT false,
    "error" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "HypervisorImage_pkey" PRIMARY KEY ("hypervisorName","imageId")
);

-- CreateTable
CREATE TABLE "Rollout" (
    "id" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "jitterMs" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Rollout_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RolloutTarget" (
    "rolloutId" TEXT NOT NULL,
    "hypervisorName" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL DEFAULT 0,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "RolloutTarget_pkey" PRIMARY KEY ("rolloutId","hypervisorName")
);

-- CreateIndex
CREATE INDEX "HypervisorImage_imageId_idx" ON "HypervisorImage"("imageId");

-- CreateIndex
CREATE INDEX "RolloutTarget_hypervisorName_idx" ON "RolloutTarget"("hypervisorName");

-- AddForeignKey
ALTER TABLE "Artifact" ADD CONSTRAINT "Artifact_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HypervisorImage" ADD CONSTRAINT "HypervisorImage_hypervisorName_fkey" FOREIGN KEY ("hypervisorName") REFERENCES "Hypervisor"("name") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Rollout" ADD CONSTRAINT "Rollout_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutTarget" ADD CONSTRAINT "RolloutTarget_rolloutId_fkey" FOREIGN KEY ("rolloutId") REFERENCES "Rollout"("id") ON DELETE CASCADE ON UPDATE CASCADE;
