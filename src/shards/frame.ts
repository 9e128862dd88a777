/**
 * A queued message's frame in the shard's native queue: the sender's handle and the message's
 * sequence number in its shard (u32 little-endian each), written natively by
 * Router.admitEnqueue (crates/erlmcp-node/src/fast.rs) and read in place by the slot
 * (ShardSlot.frameHandle / frameSeq). The message itself stays in the shard slot's table
 * under that sequence number: JS objects cannot live in a Rust queue, and the slot outlives
 * any manager, so a restarted manager finds every accepted message.
 */
/** Bytes of one frame. */
export const FRAME_BYTES = 8;
