// Bytes waiting to be cut into fixed-size chunks: stream pieces arrive in any size, a sealed chunk
// is one exact size. Pieces are kept as they came and copied only when a chunk spans two of them.

export class ByteQueue {
  private pieces: Buffer[] = [];
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(piece: Buffer): void {
    if (piece.length === 0) return;
    this.pieces.push(piece);
    this.total += piece.length;
  }

  /** The next `bytes` bytes (all of them if fewer are queued), without copying when one piece holds them. */
  take(bytes: number): Buffer {
    const wanted = Math.min(bytes, this.total);
    const first = this.pieces[0];
    if (first && first.length >= wanted) {
      const taken = first.subarray(0, wanted);
      if (first.length === wanted) this.pieces.shift();
      else this.pieces[0] = first.subarray(wanted);
      this.total -= wanted;
      return taken;
    }
    const out = Buffer.allocUnsafe(wanted);
    let filled = 0;
    while (filled < wanted) {
      const piece = this.pieces[0];
      const used = Math.min(piece.length, wanted - filled);
      piece.copy(out, filled, 0, used);
      filled += used;
      if (used === piece.length) this.pieces.shift();
      else this.pieces[0] = piece.subarray(used);
    }
    this.total -= wanted;
    return out;
  }
}
