/**
 * A queued message's frame in the shard's native queue: the sender's handle and the message's
 * sequence number in its shard (u32 little-endian each). The message itself stays in the
 * shard slot's table under that sequence number: JS objects cannot live in a Rust queue, and
 * the slot outlives any manager, so a restarted manager finds every accepted message.
 */
export function encodeFrame(handle: number, seq: number): Buffer {
  const frame = Buffer.allocUnsafe(8);
  frame.writeUInt32LE(handle, 0);
  frame.writeUInt32LE(seq, 4);
  return frame;
}

/** The handle of a frame made by {@link encodeFrame}. */
export function frameHandle(frame: Buffer): number {
  return frame.readUInt32LE(0);
}

/** The sequence number of a frame made by {@link encodeFrame}. */
export function frameSeq(frame: Buffer): number {
  return frame.readUInt32LE(4);
}
