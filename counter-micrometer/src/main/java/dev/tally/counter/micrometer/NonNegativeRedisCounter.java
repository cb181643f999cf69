package dev.tally.counter.micrometer;

import dev.tally.counter.Counter;
import dev.tally.counter.redis.RedisCounter;

/**
 * A {@link RedisCounter} whose adds must be zero or more, so that its exported total, this JVM's
 * adds, never falls; reads and drains are the shared counter's.
 */
final class NonNegativeRedisCounter implements Counter {

    private final String name;
    private final RedisCounter shared;

    NonNegativeRedisCounter(String name, RedisCounter shared) {
        this.name = name;
        this.shared = shared;
    }

    @Override
    public void add(long delta) {
        if (delta < 0L) {
            throw new IllegalArgumentException("counter '" + name + "' is exported as a total that"
                    + " must never fall: add(" + delta + ") refused, nothing added");
        }
        shared.add(delta);
    }

    @Override
    public long get() {
        return shared.get();
    }

    @Override
    public long getAndReset() {
        return shared.getAndReset();
    }

    @Override
    public String toString() {
        return name + " over " + shared;
    }
}
