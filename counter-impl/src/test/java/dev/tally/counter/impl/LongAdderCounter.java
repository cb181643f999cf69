package dev.tally.counter.impl;

import dev.tally.counter.Counter;
import java.util.concurrent.atomic.LongAdder;

/**
 * The JDK's {@link LongAdder} behind the {@link Counter} methods, as a negative control: its
 * {@code sum()} reads the cells in one pass, and {@code sumThenReset()} is not exactly-once.
 */
final class LongAdderCounter implements Counter {

    private final LongAdder adder = new LongAdder();

    @Override
    public void add(long delta) {
        adder.add(delta);
    }

    @Override
    public long get() {
        return adder.sum();
    }

    @Override
    public long getAndReset() {
        return adder.sumThenReset();
    }
}
