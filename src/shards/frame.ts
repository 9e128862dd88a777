/**
 * A queued message's frame in the shard's native queue: the sender's handle and the message's
 * sequence number in its shard (u32 little-endian each). The message itself stays in the
 * shard slot's table under that sequence number: JS objects cannot live in a Rust queue, and
 * the slot outlives any manager, so a restarted manager finds every accepted message.
 */
/** Bytes of one frame. */
export const FRAME_BYTES = 8;

/**
 * Writes a frame into `target` (at least {@link FRAME_BYTES} long) and returns it. The queue
 * copies what it is given, so one scratch buffer serves every push: no allocation per message.
 */
export function writeFrame(target: Buffer, handle: number, seq: number): Buffer {
  target.writeUInt32LE(handle, 0);
  target.writeUInt32LE(seq, 4);
  return target;
}

/** The handle of a frame made by {@link writeFrame}. */
export function frameHandle(frame: Buffer): number {
  return frame.readUInt32LE(0);
}

/** The sequence number of a frame made by {@link writeFrame}. */
export function frameSeq(frame: Buffer): number {
  return frame.readUInt32LE(4);
}
