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

    /**
     * Items each way per round of {@link InFlightRace}, and the rounds each counter runs. On two
     * cores about one round in three lets {@code LongAdder} read nothing below zero (its writers
     * barely overlapped and never left its base), so six rounds make the control's failure
     * certain in practice (0.3^6, under one in a thousand).
     */
    static final int IN_FLIGHT_ITEMS = 1_000_000;
    static final int IN_FLIGHT_ROUNDS = 6;

    /**
     * Each increment on one thread, its decrement on another, in other cells: {@code LongAdder}
     * reads below zero here ({@link NegativeControlsTest}).
     */
    @Test
    void getNeverReadsBelowZeroWhileEachDecrementFollowsItsIncrementOnAnotherThread()
            throws InterruptedException {
        for (int round = 0; round < IN_FLIGHT_ROUNDS; round++) {
            Counter counter = newCounter();
            InFlightRace.Readings readings = InFlightRace.run(counter, IN_FLIGHT_ITEMS);
            assertThat(readings.reads()).as("reads while items were in flight").isPositive();
            assertThat(readings.lowest()).as("lowest value read").isGreaterThanOrEqualTo(0L);
            assertThat(readings.finalValue()).as("items left in flight").isZero();
        }
    }
}
