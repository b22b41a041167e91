// Images from a local directory, for a machine without Glance: each regular file is an image.
// Ids are stable UUIDs derived from the file name; hashes (sha512, md5) are computed once per
// file version and remembered beside the data dir.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { AppError } from "../errors.ts";
import type { ImageData, ImageSource, SourceImage } from "../glance/source-image.ts";

const FORMATS: Record<string, string> = { ".raw": "raw", ".img": "raw", ".qcow2": "qcow2", ".vmdk": "vmdk", ".iso": "iso" };

/** Formats recognised by their first bytes: cloud images are often qcow2 named `.img`. */
const MAGIC_FORMATS: [Buffer, string][] = [
  [Buffer.from("QFI\xfb", "latin1"), "qcow2"],
  [Buffer.from("KDMV", "latin1"), "vmdk"],
  [Buffer.from("conectix", "latin1"), "vhd"],
  [Buffer.from("vhdxfile", "latin1"), "vhdx"],
];

type FileFacts = { sha512: string; md5: string; format?: string | null };
type HashCache = Record<string, FileFacts>;

export class DirectorySource implements ImageSource {
  readonly kind = "directory" as const;
  constructor(
    private readonly dir: string,
    private readonly hashCacheFile: string,
  ) {}

  describe(): string {
    return `directory ${this.dir}`;
  }

  async listImages(): Promise<SourceImage[]> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    const names = (await fs.promises.readdir(this.dir)).filter((name) => !name.startsWith(".")).sort();
    const cache = this.readHashCache();
    const images: SourceImage[] = [];
    for (const name of names) {
      const file = path.join(this.dir, name);
      const stat = await fs.promises.stat(file);
      if (!stat.isFile()) continue;
      const key = `${name}|${stat.size}|${stat.mtimeMs}`;
      if (cache[key]?.format === undefined) cache[key] = await hashFile(file); // entries from before format detection are redone
      images.push(toImage(name, stat, cache[key]));
    }
    this.writeHashCache(cache, new Set(images.map((image) => `${image.name}|${image.size}`)));
    return images;
  }

  async getImage(id: string): Promise<SourceImage> {
    const image = (await this.listImages()).find((candidate) => candidate.id === id);
    if (!image) throw new AppError("IMAGE_NOT_FOUND", `no image ${id} in ${this.dir}`);
    return image;
  }

  async openImageData(id: string): Promise<ImageData> {
    const image = await this.getImage(id);
    const file = path.join(this.dir, image.name);
    return { stream: fs.createReadStream(file, { highWaterMark: 1 << 20 }), size: image.size };
  }

  private readHashCache(): HashCache {
    try {
      return JSON.parse(fs.readFileSync(this.hashCacheFile, "utf8")) as HashCache;
    } catch {
      return {};
    }
  }

  private writeHashCache(cache: HashCache, live: Set<string>): void {
    const kept = Object.fromEntries(Object.entries(cache).filter(([key]) => live.has(key.split("|").slice(0, 2).join("|"))));
    fs.mkdirSync(path.dirname(this.hashCacheFile), { recursive: true });
    fs.writeFileSync(this.hashCacheFile, JSON.stringify(kept));
  }
}

export function directoryImageId(fileName: string): string {
  const hex = crypto.createHash("sha1").update(`precache-directory-image:${fileName}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function toImage(name: string, stat: fs.Stats, hashes: FileFacts): SourceImage {
  const diskFormat = hashes.format ?? FORMATS[path.extname(name).toLowerCase()] ?? "raw";
  return {
    id: directoryImageId(name),
    name,
    status: "active",
    size: stat.size,
    virtualSize: diskFormat === "raw" ? stat.size : null, // a qcow2's would take qemu-img to read
    diskFormat,
    containerFormat: "bare",
    checksum: hashes.md5,
    osHashAlgo: "sha512",
    osHashValue: hashes.sha512,
    // The operator's own files, not a tenant's: no project owns them, so they publish plain
    // (PRECACHE_ENCRYPT_ALL_ARTIFACTS seals them too).
    visibility: "public",
    owner: null,
    updatedAt: stat.mtime.toISOString(),
  };
}

async function hashFile(file: string): Promise<FileFacts> {
  const sha512 = crypto.createHash("sha512");
  const md5 = crypto.createHash("md5");
  let head: Buffer | null = null;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    head ??= chunk as Buffer;
    sha512.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  const format = MAGIC_FORMATS.find(([magic]) => head?.subarray(0, magic.length).equals(magic))?.[1] ?? null;
  return { sha512: sha512.digest("hex"), md5: md5.digest("hex"), format };
}
