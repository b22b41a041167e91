// Bounds on what a download may write, whoever sends the bytes (a compromised peer, a poisoned
// cache) and whatever the image declares (a tenant's qcow2): inflated bytes never beyond Glance's
// size, a disk never bigger than Glance's virtual_size, and never closer than a margin to a full
// disk. The streaming bounds are pass-through stages of the download's pipeline that fail it at
// the bound, before the byte that would break it reaches the hash or the disk.
import { Transform } from "node:stream";
import { freeBytes } from "../../shared/files.ts";
import { AgentError } from "../agent-error.ts";

/** Left free on the cache dir's filesystem, always: it holds the instances' disks too. */
export const SPACE_MARGIN_BYTES = 64 * 1024 * 1024;
/** Free space is re-read at least this often while writing (more often near the margin). */
const SPACE_CHECK_EVERY_BYTES = 64 * 1024 * 1024;
/**
 * Bytes passed on but maybe not yet on disk when free space is read (the stages after the guard
 * and the file writer's buffer, 1 MiB): counted as written already.
 */
const IN_FLIGHT_BYTES = 4 * 1024 * 1024;

/** Free space on `dir` less the margin; DISK_FULL when `bytes` do not fit in it (`needs` says what needs them). */
export async function assertRoom(dir: string, bytes: number, needs: string): Promise<number> {
  const free = await freeBytes(dir);
  if (free < bytes + SPACE_MARGIN_BYTES) {
    throw new AgentError("DISK_FULL", `not enough space in ${dir}: ${needs} (+64 MiB margin), ${free} free`);
  }
  return free - SPACE_MARGIN_BYTES;
}

/**
 * Refuses (VIRTUAL_SIZE_EXCEEDED) an image whose header declares a bigger disk than Glance's
 * virtual_size: its raw copy (nova's force_raw_images) would be bigger than Glance says.
 */
export function assertVirtualSize(declared: number | null, glanceVirtualSize: number | null, what: string): void {
  if (declared === null || glanceVirtualSize === null || declared <= glanceVirtualSize) return;
  throw new AgentError(
    "VIRTUAL_SIZE_EXCEEDED",
    `${what}: its header declares a virtual size of ${declared} bytes, Glance's virtual_size is ${glanceVirtualSize}: refused`,
  );
}

/** Fails with SIZE_MISMATCH before passing on a byte beyond `limit` (Glance's size of the image). */
export function inflatedBound(limit: number, what: string): Transform {
  let passed = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (passed + chunk.length > limit) {
        const message = `${what}: the artifact inflates beyond Glance's size of ${limit} bytes: stopped there`;
        return done(new AgentError("SIZE_MISMATCH", message));
      }
      passed += chunk.length;
      done(null, chunk);
    },
  });
}

/**
 * Fails with DISK_FULL before passing on a chunk that would leave less than `marginBytes` free on
 * `dir`'s filesystem (with at most IN_FLIGHT_BYTES of what it passed not yet written). Free space is read again after at most half the room last seen (so our own
 * writes can never cross the margin) or SPACE_CHECK_EVERY_BYTES (so others' writes are noticed).
 */
export function freeSpaceGuard(dir: string, what: string, marginBytes = SPACE_MARGIN_BYTES): Transform {
  let passed = 0;
  let sinceCheck = 0;
  let nextCheckAfter = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sinceCheck += chunk.length;
      if (sinceCheck < nextCheckAfter) return pass(chunk, done);
      freeBytes(dir).then((free) => {
        const room = free - IN_FLIGHT_BYTES - marginBytes;
        if (room < chunk.length) {
          const message = `not enough space in ${dir} for ${what}: stopped after ${passed} bytes to keep ${marginBytes} bytes free (${free} free)`;
          return done(new AgentError("DISK_FULL", message));
        }
        sinceCheck = 0;
        nextCheckAfter = Math.min(SPACE_CHECK_EVERY_BYTES, Math.floor(room / 2));
        pass(chunk, done);
      }, done);
    },
  });

  function pass(chunk: Buffer, done: (error: null, chunk: Buffer) => void) {
    passed += chunk.length;
    done(null, chunk);
  }
}
