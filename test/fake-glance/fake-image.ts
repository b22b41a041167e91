// A Glance v2 image record with realistic defaults; tests override only what they care about.
import { randomUUID } from "node:crypto";
import { glanceHashes } from "./glance-hashes.ts";

export type GlanceImageRecord = {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  protected: boolean;
  os_hidden: boolean;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  size: number | null;
  virtual_size: number | null;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  owner: string;
  created_at: string;
  updated_at: string;
  tags: string[];
};

/** A stored image: its API record plus the bytes `/file` serves (none for queued images). */
export type FakeImage = GlanceImageRecord & { data?: Buffer };

// Distinct, increasing creation times keep created_at sorting deterministic.
let sequence = 0;

export function fakeImage(overrides: Partial<FakeImage> = {}): FakeImage {
  const id = overrides.id ?? randomUUID();
  const data = overrides.data;
  const createdAt = new Date(Date.UTC(2024, 0, 1) + ++sequence * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  return {
    id,
    name: `image-${id.slice(0, 8)}`,
    status: data ? "active" : "queued",
    visibility: "shared",
    protected: false,
    os_hidden: false,
    ...(data ? glanceHashes(data) : { checksum: null, os_hash_algo: null, os_hash_value: null, size: null }),
    // Raw unless a test says otherwise (a qcow2 record should carry real qcow2 bytes).
    virtual_size: data ? data.length : null,
    disk_format: data ? "raw" : null,
    container_format: data ? "bare" : null,
    min_disk: 0,
    min_ram: 0,
    owner: "5f2d1a1c3b7e4c0d9a8b7c6d5e4f3a2b",
    created_at: createdAt,
    updated_at: createdAt,
    tags: [],
    ...overrides,
  };
}

/** The JSON Glance returns for an image: the record plus its links, never the data. */
export function glanceImageJson(image: FakeImage): Record<string, unknown> {
  const { data: _data, ...record } = image;
  return { ...record, self: `/v2/images/${image.id}`, file: `/v2/images/${image.id}/file`, schema: "/v2/schemas/image" };
}
