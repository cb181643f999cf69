/**
 * A {@link dev.tally.counter.Counter} shared by many JVMs through Redis, with the same promises as
 * the in-process counters: no add lost, none counted twice, drains exactly-once.
 *
 * <p>{@link dev.tally.counter.redis.RedisCounter} buffers adds locally and sends them in batches
 * that the server applies at most once; {@link dev.tally.counter.redis.CounterUnavailableException}
 * is what it throws when the server has been away too long for an answer. The examples assume a
 * Lettuce {@code RedisClient client} and a server on {@code localhost:6379}.
 */
package dev.tally.counter.redis;
