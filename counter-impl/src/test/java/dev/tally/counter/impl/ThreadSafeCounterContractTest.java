package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.Counter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The multi-threaded contract of a thread-safe {@link Counter}: exact totals under contention and
 * exactly-once drains. More threads than this machine's 2 cores, so threads are also preempted in
 * the middle of updates.
 */
abstract class ThreadSafeCounterContractTest extends CounterContractTest {

    static final int WRITERS = 4;
    static final int OPS_PER_WRITER = 1_000_000;

    /** The delta of a writer's {@code i}-th operation: mixed signs and sizes, ones among them. */
    static long deltaOf(int writer, int i) {
        return switch (i % 4) {
            case 0 -> 1L;
            case 1 -> -1L;
            case 2 -> (i * 31L + writer) % 1_001 - 500;
            default -> writer + 2L;
        };
    }

    static void write(Counter counter, int writer) {
        for (int i = 0; i < OPS_PER_WRITER; i++) {
            long delta = deltaOf(writer, i);
            if (delta == 1L) {
                counter.increment();
            } else if (delta == -1L) {
                counter.decrement();
            } else {
                counter.add(delta);
            }
        }
    }

    static long expectedTotal() {
        long total = 0L;
        for (int writer = 0; writer < WRITERS; writer++) {
            for (int i = 0; i < OPS_PER_WRITER; i++) {
                total += deltaOf(writer, i);
            }
        }
        return total;
    }

    @Test
    void concurrentWritersEndOnTheExactTotal() throws InterruptedException {
        Counter counter = newCounter();
        Race.run(WRITERS, writer -> write(counter, writer));
        assertThat(counter.get()).isEqualTo(expectedTotal());
    }

    @Test
    void getAndResetCountsEachAddExactlyOnceWhileWritersRun() throws InterruptedException {
        Counter counter = newCounter();
        assertDrainsCountEachAddOnce(counter, writer -> write(counter, writer));
    }

    /**
     * Runs {@code writer} on {@link #WRITERS} threads beside a thread that drains in a loop, then
     * asserts that the drains plus what remains equal {@link #expectedTotal()} exactly.
     */
    static void assertDrainsCountEachAddOnce(Counter counter, Race.Body writer)
            throws InterruptedException {
        AtomicLong drained = new AtomicLong();
        AtomicLong drains = new AtomicLong();
        Race.runWithObserver(WRITERS, writer, writersRunning -> {
            while (writersRunning.getAsBoolean()) {
                drained.addAndGet(counter.getAndReset());
                drains.incrementAndGet();
            }
        });
        assertThat(drains.get()).as("drains while the writers ran").isPositive();
        assertThat(drained.get() + counter.get()).isEqualTo(expectedTotal());
    }

    @Test
    void getNeverReadsBelowZeroWhileEveryDecrementFollowsItsIncrement()
            throws InterruptedException {
        Counter counter = newCounter();
        AtomicLong lowest = new AtomicLong(Long.MAX_VALUE);
        AtomicLong reads = new AtomicLong();
        Race.runWithObserver(2, writer -> {
            for (int i = 0; i < OPS_PER_WRITER; i++) {
                counter.increment();
                counter.decrement();
            }
        }, writersRunning -> {
            while (writersRunning.getAsBoolean()) {
                lowest.accumulateAndGet(counter.get(), Math::min);
                reads.incrementAndGet();
            }
        });
        assertThat(reads.get()).as("reads while the writers ran").isPositive();
        assertThat(lowest.get()).as("lowest value read").isGreaterThanOrEqualTo(0L);
        assertThat(counter.get()).isZero();
    }
}
