package dev.tally.counter.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.Counter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The multi-threaded contract of a thread-safe {@link Counter}: exact totals under contention,
 * exactly-once drains, and no read below a value the counter held. More threads than a 2-core
 * machine has, so threads are also preempted in the middle of updates.
 *
 * <pre>{@code
 * final class StripedCounterTest extends ThreadSafeCounterContractTest {
 *     protected Counter newCounter() {
 *         return new StripedCounter();
 *     }
 * }
 * }</pre>
 *
 * <p>A counter whose methods may throw ({@link Promises#mayThrow()}) runs this suite where they do
 * not: a thrown exception fails the race it was thrown in. A counter that reaches a server can
 * make the in-flight race cheaper by overriding {@link #inFlightItems()}.
 */
public abstract class ThreadSafeCounterContractTest extends CounterContractTest {

    /** Writer threads in each race. */
    public static final int WRITERS = 4;
    /** Operations each writer performs. */
    public static final int OPS_PER_WRITER = 1_000_000;

    /**
     * The delta of a writer's {@code i}-th operation: mixed signs and sizes, ones among them.
     *
     * @param writer the writer's index
     * @param i the operation's index
     * @return the delta
     */
    public static long deltaOf(int writer, int i) {
        return switch (i % 4) {
            case 0 -> 1L;
            case 1 -> -1L;
            case 2 -> (i * 31L + writer) % 1_001 - 500;
            default -> writer + 2L;
        };
    }

    /**
     * Performs writer {@code writer}'s {@link #OPS_PER_WRITER} operations on {@code counter}, ones
     * as {@code increment()} and {@code decrement()}.
     *
     * @param counter the counter written
     * @param writer the writer's index
     */
    public static void write(Counter counter, int writer) {
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

    /**
     * The sum of every writer's deltas.
     *
     * @return what {@link #WRITERS} writers add in all
     */
    public static long expectedTotal() {
        long total = 0L;
        for (int writer = 0; writer < WRITERS; writer++) {
            for (int i = 0; i < OPS_PER_WRITER; i++) {
                total += deltaOf(writer, i);
            }
        }
        return total;
    }

    @Test
    void promisesThreadSafety() {
        assertThat(promises().threadSafe())
                .as("a counter that is not thread-safe extends CounterContractTest").isTrue();
    }

    @Test
    void concurrentWritersEndOnTheExactTotal() throws InterruptedException {
        Counter counter = newCounter();
        Race.run(WRITERS, writer -> write(counter, writer));
        assertThat(settledValue(counter)).isEqualTo(expectedTotal());
    }

    @Test
    void getAndResetCountsEachAddExactlyOnceWhileWritersRun() throws InterruptedException {
        Counter counter = newCounter();
        assertDrainsCountEachAddOnce(counter, writer -> write(counter, writer));
    }

    /**
     * Runs {@code writer} on {@link #WRITERS} threads beside a thread that drains in a loop, then
     * asserts that the drains plus what remains equal {@link #expectedTotal()} exactly.
     *
     * @param counter the counter written and drained
     * @param writer the body of each writer thread
     * @throws InterruptedException if interrupted while waiting for the threads
     */
    protected void assertDrainsCountEachAddOnce(Counter counter, Race.Body writer)
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
        assertThat(drained.get() + settledValue(counter)).isEqualTo(expectedTotal());
    }

    /**
     * Rounds of {@link InFlightRace} each counter runs. On two cores a round can let
     * {@code LongAdder} read nothing below zero (its writers barely overlapped and never left its
     * base), so the race repeats; counter-impl's negative control runs up to ten times as many
     * rounds and stops at the first read below zero.
     */
    public static final int IN_FLIGHT_ROUNDS = 6;

    /** Items each way per round of {@link InFlightRace}, by default. */
    public static final int IN_FLIGHT_ITEMS = 1_000_000;

    /**
     * Items each way per round of {@link InFlightRace}: each round reads {@code get()} in a loop.
     *
     * @return {@link #IN_FLIGHT_ITEMS}, unless overridden
     */
    protected int inFlightItems() {
        return IN_FLIGHT_ITEMS;
    }

    /**
     * Each increment on one thread, its decrement on another, in other cells: {@code LongAdder}
     * reads below zero here (counter-impl's {@code NegativeControlsTest}).
     */
    @Test
    void getNeverReadsBelowZeroWhileEachDecrementFollowsItsIncrementOnAnotherThread()
            throws InterruptedException {
        Assumptions.assumeTrue(promises().neverReadsBelowAValueItHeld(),
                () -> "not promised: get() is declared " + promises().get());
        for (int round = 0; round < IN_FLIGHT_ROUNDS; round++) {
            Counter counter = newCounter();
            InFlightRace.Readings readings = InFlightRace.run(counter, inFlightItems());
            assertThat(readings.reads()).as("reads while items were in flight").isPositive();
            assertThat(readings.lowest()).as("lowest value read").isGreaterThanOrEqualTo(0L);
            assertThat(readings.finalValue()).as("items left in flight").isZero();
        }
    }
}
