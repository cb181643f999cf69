package dev.tally.counter.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.Counter;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The single-threaded contract of {@link Counter}, run against every implementation: a module's
 * test extends it and says how to make a counter.
 *
 * <pre>{@code
 * final class AtomicCounterTest extends ThreadSafeCounterContractTest {
 *     protected Counter newCounter() {
 *         return new AtomicCounter();
 *     }
 * }
 * }</pre>
 *
 * <p>What the counter promises comes from {@link Counters}, the one list, or from an override of
 * {@link #promises()} for a counter that is not in it. A test whose property the counter does not
 * promise is reported as aborted, with the declaration as its reason.
 */
public abstract class CounterContractTest {

    /**
     * A new counter at zero, of the implementation under test.
     *
     * @return the counter
     */
    protected abstract Counter newCounter();

    /**
     * What the counter under test promises. By default its entry in {@link Counters}; a counter
     * outside that list (one needing a server, say) overrides this.
     *
     * @return the promises the suite checks
     */
    protected Promises promises() {
        Class<? extends Counter> type = newCounter().getClass();
        return Counters.of(type).map(Counters::promises).orElseThrow(() -> new AssertionError(
                type.getName() + " is not in Counters, the one list: add it there, or override "
                        + "promises() to declare what it promises"));
    }

    /**
     * The counter's value once every writer has returned. {@code get()} by default; a counter
     * whose {@code get()} is an {@link Promises.Read#ESTIMATE} overrides this to settle first.
     *
     * @param counter a counter of the implementation under test
     * @return its exact value
     */
    protected long settledValue(Counter counter) {
        return counter.get();
    }

    @Test
    void declaresWhatItPromises() {
        assertThat(promises()).isNotNull();
    }

    @Test
    void aNewCounterReadsZero() {
        assertThat(newCounter().get()).isZero();
    }

    @Test
    void addAddsPositiveNegativeAndZeroDeltas() {
        Counter counter = newCounter();
        counter.add(40);
        counter.add(-15);
        counter.add(0);
        counter.add(17);
        assertThat(settledValue(counter)).isEqualTo(42);
    }

    @Test
    void incrementAndDecrementMoveByOne() {
        Counter counter = newCounter();
        counter.increment();
        counter.increment();
        counter.increment();
        counter.decrement();
        assertThat(settledValue(counter)).isEqualTo(2);
    }

    @Test
    void aCounterCanGoBelowZero() {
        Counter counter = newCounter();
        counter.decrement();
        counter.add(-9);
        assertThat(settledValue(counter)).isEqualTo(-10);
    }

    @Test
    void getDoesNotChangeTheValue() {
        Counter counter = newCounter();
        counter.add(7);
        assertThat(counter.get()).isEqualTo(7);
        assertThat(counter.get()).isEqualTo(7);
    }

    @Test
    void getAndResetReturnsTheValueAndLeavesZero() {
        Counter counter = newCounter();
        counter.add(5);
        counter.add(-8);
        assertThat(counter.getAndReset()).isEqualTo(-3);
        assertThat(settledValue(counter)).isZero();
        assertThat(counter.getAndReset()).isZero();
    }

    @Test
    void addsAfterGetAndResetStartFromZero() {
        Counter counter = newCounter();
        counter.add(100);
        counter.getAndReset();
        counter.add(3);
        assertThat(counter.getAndReset()).isEqualTo(3);
    }

    @Test
    void resetDiscardsTheValue() {
        Counter counter = newCounter();
        counter.add(-12);
        counter.reset();
        assertThat(settledValue(counter)).isZero();
        counter.increment();
        assertThat(settledValue(counter)).isOne();
    }

    @Test
    void incrementPastMaxValueWrapsToMinValue() {
        Counter counter = newCounter();
        counter.add(Long.MAX_VALUE);
        counter.increment();
        assertThat(settledValue(counter)).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void decrementPastMinValueWrapsToMaxValue() {
        Counter counter = newCounter();
        counter.add(Long.MIN_VALUE);
        counter.decrement();
        assertThat(settledValue(counter)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void addingMinValueTwiceWrapsToZero() {
        Counter counter = newCounter();
        counter.add(Long.MIN_VALUE);
        counter.add(Long.MIN_VALUE);
        assertThat(settledValue(counter)).isZero();
        counter.add(Long.MAX_VALUE);
        counter.add(Long.MAX_VALUE);
        assertThat(counter.getAndReset()).isEqualTo(-2);
    }

    /**
     * Why {@code toString()} does not show the value, for a counter that cannot read it without
     * I/O; null (the default) when it does, as every in-process counter does.
     *
     * @return the reason, or null
     */
    protected String toStringLeavesOutTheValue() {
        return null;
    }

    @Test
    void toStringShowsTheValue() {
        String reason = toStringLeavesOutTheValue();
        Assumptions.assumeTrue(reason == null, () -> "declared: " + reason);
        Counter counter = newCounter();
        counter.add(-42);
        assertThat(counter).hasToString("-42");
    }
}
