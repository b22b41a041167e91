// How nova names a base image in its image cache (<instances>/_base): sha1 of the image id, in
// hex. The agent writes files under this name and reports them; the server maps reported names
// back to images with the same function, so both must agree: it is contract.
import crypto from "node:crypto";

export const BASE_FILE_PATTERN = /^[0-9a-f]{40}$/;

export function baseFileName(imageId: string): string {
  return crypto.createHash("sha1").update(imageId, "utf8").digest("hex");
}
