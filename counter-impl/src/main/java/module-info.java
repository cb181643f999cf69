/**
 * The tally counters: one unsynchronized baseline, two locking and three lock-free implementations
 * of {@code dev.tally.counter.Counter}, and {@code StripedCounterMap}, a {@code CounterMap}.
 * Depends on nothing but the JDK and {@code dev.tally.counter}.
 */
module dev.tally.counter.impl {
    requires transitive dev.tally.counter;

    exports dev.tally.counter.impl;
}
