/**
 * A queued message: the sender's handle (u32 little-endian) followed by the payload bytes.
 * The handle travels inside the frame so that a shard queue alone says who each message is
 * for — a restarted manager needs nothing but the queue to continue.
 */
export function encodeFrame(handle: number, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(4 + payload.byteLength);
  frame.writeUInt32LE(handle, 0);
  frame.set(payload, 4);
  return frame;
}

/** The handle of a frame made by {@link encodeFrame}. */
export function frameHandle(frame: Buffer): number {
  return frame.readUInt32LE(0);
}

/** The payload of a frame made by {@link encodeFrame} (a view, no copy). */
export function framePayload(frame: Buffer): Buffer {
  return frame.subarray(4);
}
