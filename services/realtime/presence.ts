/**
 * Presence in Redis, shared by every instance.
 *
 * - `realtime:online:<userId>` is the set of instances holding a socket of the
 *   user: it exists while the user is online anywhere. Each instance counts its
 *   own sockets per user and adds/removes itself on 0↔1; its heartbeat
 *   (every `ttlMs / 3`) re-adds itself and pushes the key's expiry `ttlMs` ahead.
 * - An instance that dies stops its heartbeat: its users' keys expire by
 *   themselves, and the first live instance to see its heartbeat older than
 *   `ttlMs` (sorted set `realtime:instances`) claims it, removes it from the
 *   sets of its users (`realtime:instance:<id>`) and starts their grace period.
 * - A user is announced offline only after `graceMs` without any socket
 *   anywhere, and `realtime:presence:<userId>` remembers what was announced, so
 *   a reconnect within the grace, or a second tab, announces nothing.
 */
import type { Logger } from "@mp/shared/log";
import type { Redis } from "ioredis";
import { announcedKey, contactsKey, INSTANCES_KEY, instanceUsersKey, onlineKey } from "./keys.ts";

/** The `presence` event. */
export interface PresenceView {
  userId: string;
  online: boolean;
  lastSeenAt: string;
}

/** Options of `Presence`. */
export interface PresenceOptions {
  redis: Redis;
  instanceId: string;
  /** Expiry of an online key without heartbeat (PRESENCE_TTL_MS). */
  ttlMs: number;
  /** Time without a socket before "offline" is announced (PRESENCE_GRACE_MS). */
  graceMs: number;
  /** Sends `presence` to the rooms of these users (the contacts). */
  tell(userIds: string[], view: PresenceView): void;
  log: Logger;
}

// Flips what was announced; "offline" only while the user has no socket anywhere.
// Returns 1 when the contacts must be told.
const FLIP = `
if ARGV[1] == "offline" and redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
if redis.call("GET", KEYS[2]) == ARGV[1] then return 0 end
redis.call("SET", KEYS[2], ARGV[1], "EX", 86400)
return 1`;

type FlipRedis = Redis & {
  presenceFlip(online: string, announced: string, state: string): Promise<number>;
};

// Keeps a dead instance's user list long enough for a sweeper to find it.
const INSTANCE_USERS_TTL_MS = 3_600_000;

/** Presence of the users connected to this instance. */
export class Presence {
  readonly #local = new Map<string, number>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #redis: FlipRedis;
  #heartbeat?: ReturnType<typeof setInterval>;
  #beating?: Promise<void>;
  #stopped = false;

  constructor(private readonly options: PresenceOptions) {
    if (!("presenceFlip" in options.redis)) {
      options.redis.defineCommand("presenceFlip", { numberOfKeys: 2, lua: FLIP });
    }
    this.#redis = options.redis as FlipRedis;
  }

  /** Registers the instance and starts the heartbeat. */
  async start(): Promise<void> {
    await this.#beat();
    this.#heartbeat = setInterval(() => {
      this.#beating ??= this.#beat().finally(() => (this.#beating = undefined));
    }, Math.max(100, Math.floor(this.options.ttlMs / 3)));
  }

  /** The users the user has a conversation with: the only ones told of the user's presence. */
  contacts(userId: string): Promise<string[]> {
    return this.options.redis.smembers(contactsKey(userId));
  }

  /** Of `userIds`, those online. */
  async online(userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const pipeline = this.options.redis.pipeline();
    for (const id of userIds) pipeline.exists(onlineKey(id));
    const results = (await pipeline.exec()) ?? [];
    return userIds.filter((_, i) => results[i]?.[1] === 1);
  }

  /** A socket of the user connected here. */
  async connected(userId: string): Promise<void> {
    if (this.#stopped) return;
    const count = (this.#local.get(userId) ?? 0) + 1;
    this.#local.set(userId, count);
    if (count > 1) return;
    const { redis, instanceId, ttlMs } = this.options;
    await redis.multi()
      .sadd(onlineKey(userId), instanceId)
      .pexpire(onlineKey(userId), ttlMs)
      .sadd(instanceUsersKey(instanceId), userId)
      .exec();
    await this.#announce(userId, true, new Date());
  }

  /** A socket of the user disconnected here. */
  async disconnected(userId: string): Promise<void> {
    // Once stopped, the sockets closing are left to the instance that sweeps this one.
    if (this.#stopped) return;
    const count = (this.#local.get(userId) ?? 0) - 1;
    if (count > 0) {
      this.#local.set(userId, count);
      return;
    }
    this.#local.delete(userId);
    const { redis, instanceId } = this.options;
    const lastSeen = new Date();
    this.#scheduleOffline(userId, lastSeen);
    await redis.multi()
      .srem(onlineKey(userId), instanceId)
      .srem(instanceUsersKey(instanceId), userId)
      .exec();
  }

  /**
   * Stops the heartbeat and grace timers and marks this instance dead, so that
   * another one sweeps its users at once (those who reconnect elsewhere stay
   * online; the others go offline after the grace). Sockets closing after this
   * change nothing here.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#heartbeat);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.#beating;
    await this.options.redis.zadd(INSTANCES_KEY, 0, this.options.instanceId).catch(() => {});
  }

  #scheduleOffline(userId: string, lastSeen: Date) {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#announce(userId, false, lastSeen).catch((error) =>
        this.options.log.warn("presence offline failed", { userId, error })
      );
    }, this.options.graceMs);
    this.#timers.add(timer);
  }

  async #announce(userId: string, online: boolean, at: Date): Promise<void> {
    const state = online ? "online" : "offline";
    const changed = await this.#redis.presenceFlip(onlineKey(userId), announcedKey(userId), state);
    if (changed !== 1) return;
    const contacts = await this.contacts(userId);
    if (contacts.length > 0) {
      this.options.tell(contacts, { userId, online, lastSeenAt: at.toISOString() });
    }
  }

  async #beat(): Promise<void> {
    const { redis, instanceId, ttlMs, log } = this.options;
    try {
      const now = Date.now();
      const pipeline = redis.pipeline().zadd(INSTANCES_KEY, now, instanceId);
      const users = [...this.#local.keys()];
      for (const userId of users) {
        pipeline.sadd(onlineKey(userId), instanceId).pexpire(onlineKey(userId), ttlMs);
      }
      if (users.length > 0) pipeline.sadd(instanceUsersKey(instanceId), ...users);
      pipeline.pexpire(instanceUsersKey(instanceId), INSTANCE_USERS_TTL_MS);
      await pipeline.exec();
      await this.#sweep(now);
    } catch (error) {
      log.warn("presence heartbeat failed", { error });
    }
  }

  // Claims each instance whose heartbeat is older than the TTL (ZREM: one claimant).
  async #sweep(now: number): Promise<void> {
    const { redis, ttlMs, log } = this.options;
    const dead = await redis.zrangebyscore(INSTANCES_KEY, "-inf", now - ttlMs);
    for (const instanceId of dead) {
      if (instanceId === this.options.instanceId) continue;
      if ((await redis.zrem(INSTANCES_KEY, instanceId)) !== 1) continue;
      const users = await redis.smembers(instanceUsersKey(instanceId));
      const pipeline = redis.pipeline();
      for (const userId of users) pipeline.srem(onlineKey(userId), instanceId);
      pipeline.del(instanceUsersKey(instanceId));
      await pipeline.exec();
      log.info("swept a dead instance", { instanceId, users: users.length });
      const lastSeen = new Date();
      for (const userId of users) this.#scheduleOffline(userId, lastSeen);
    }
  }
}
