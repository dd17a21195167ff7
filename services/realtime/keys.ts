/**
 * The Redis keys of the edge (all under `REDIS_PREFIX`, which ioredis adds to
 * every key; chat reads `realtime:online:<userId>` with the default empty prefix).
 * Contacts and conversations are what typing and presence need; the rest is
 * presence. Nothing else is kept.
 */

/** Set of instance ids holding a socket of the user; exists = online; TTL refreshed while connected. */
export const onlineKey = (userId: string) => `realtime:online:${userId}`;
/** Set of the users this user has a conversation with (presence goes to them only). */
export const contactsKey = (userId: string) => `realtime:contacts:${userId}`;
/** Set of the two participants of a conversation (typing checks and relays with it). */
export const conversationKey = (conversationId: string) =>
  `realtime:conversation:${conversationId}`;
/** "online" or "offline": what the contacts were last told, so no state is announced twice. */
export const announcedKey = (userId: string) => `realtime:presence:${userId}`;
/** Sorted set: instance id → time of its last heartbeat (ms). */
export const INSTANCES_KEY = "realtime:instances";
/** Set of the users with a socket on one instance, for whoever sweeps it after it died. */
export const instanceUsersKey = (instanceId: string) => `realtime:instance:${instanceId}`;

/** The Socket.io Redis adapter's channel prefix (pub/sub channels are not keys: ioredis leaves them alone). */
export const adapterKey = (prefix: string) => `${prefix}socket.io`;

/** The room of one user's sockets. */
export const userRoom = (userId: string) => `user:${userId}`;
