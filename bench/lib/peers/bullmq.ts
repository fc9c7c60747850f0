/**
 * The BullMQ reference peer: BullMQ on a throwaway Redis (see redis-server.ts), for reference only,
 * since its durability is not comparable: Redis here keeps everything in memory and writes nothing
 * to disk. Each case that has this side starts its own Redis in `prepare` and stops it in `dispose`;
 * every run starts from an empty Redis (FLUSHALL). BullMQ makes its own ioredis connections from
 * the options given (`maxRetriesPerRequest: null`, as its workers require) and closes them.
 */
import type { ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { redisServerVersion, startRedisServer, type RedisServer } from '../redis-server.js';

export const BULLMQ = 'BullMQ (Redis)';

/** The Redis a case's BullMQ side runs against: started lazily, stopped by `dispose`. */
export class BullmqRedis {
  private server: RedisServer | null = null;

  /** Why BullMQ cannot run here (no redis-server), or null. */
  unavailable(): Promise<string | null> {
    const found = redisServerVersion();
    return Promise.resolve('missing' in found ? found.missing : null);
  }

  async prepare(): Promise<void> {
    this.server ??= await startRedisServer();
  }

  async dispose(): Promise<void> {
    await this.server?.stop();
    this.server = null;
  }

  /** Connection options for BullMQ's Queue and Worker. */
  connection(): ConnectionOptions {
    const { host, port } = this.address();
    return { host, port, maxRetriesPerRequest: null };
  }

  private address(): { host: string; port: number } {
    if (!this.server) throw new Error('BullMQ side: Redis was not started (prepare() not called)');
    return this.server;
  }

  /** Empties Redis, so each run starts from nothing. */
  async flush(): Promise<void> {
    const client = new Redis(this.address());
    try {
      await client.flushall();
    } finally {
      await client.quit();
    }
  }
}
