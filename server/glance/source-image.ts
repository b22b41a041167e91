// The one shape the rest of the backend sees for an image, whether it lives in Glance or in a directory.
import type { Readable } from "node:stream";

export type SourceImage = {
  id: string;
  name: string;
  status: string;
  size: number | null;
  /** The disk's size as raw (Glance's virtual_size); null when unknown. */
  virtualSize: number | null;
  diskFormat: string | null;
  containerFormat: string | null;
  /** Legacy MD5 hex digest; prefer osHashValue when present. */
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  visibility: string | null;
  /** Glance's owner: the project the image belongs to; null where there are no projects (a directory). */
  owner: string | null;
  updatedAt: string | null;
};

/** The image bytes as they arrive; the caller owns the stream and must consume or destroy it. */
export type ImageData = { stream: Readable; size: number | null };

export interface ImageSource {
  readonly kind: "glance" | "directory";
  /** Reached through Keystone tokens, so Keystone is a dependency of its own. */
  readonly usesKeystone?: boolean;
  /** Where images come from, for logs and the UI; never contains secrets. */
  describe(): string;
  listImages(): Promise<SourceImage[]>;
  getImage(id: string): Promise<SourceImage>;
  openImageData(id: string): Promise<ImageData>;
}
