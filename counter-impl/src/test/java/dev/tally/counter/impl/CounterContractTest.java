package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.Counter;
import org.junit.jupiter.api.Test;

/** The single-threaded contract of {@link Counter}, run against every implementation. */
abstract class CounterContractTest {

    /** A new counter at zero, of the implementation under test. */
    abstract Counter newCounter();

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
        assertThat(counter.get()).isEqualTo(42);
    }

    @Test
    void incrementAndDecrementMoveByOne() {
        Counter counter = newCounter();
        counter.increment();
        counter.increment();
        counter.increment();
        counter.decrement();
        assertThat(counter.get()).isEqualTo(2);
    }

    @Test
    void aCounterCanGoBelowZero() {
        Counter counter = newCounter();
        counter.decrement();
        counter.add(-9);
        assertThat(counter.get()).isEqualTo(-10);
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
        assertThat(counter.get()).isZero();
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
        assertThat(counter.get()).isZero();
        counter.increment();
        assertThat(counter.get()).isOne();
    }

    @Test
    void incrementPastMaxValueWrapsToMinValue() {
        Counter counter = newCounter();
        counter.add(Long.MAX_VALUE);
        counter.increment();
        assertThat(counter.get()).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void decrementPastMinValueWrapsToMaxValue() {
        Counter counter = newCounter();
        counter.add(Long.MIN_VALUE);
        counter.decrement();
        assertThat(counter.get()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void addingMinValueTwiceWrapsToZero() {
        Counter counter = newCounter();
        counter.add(Long.MIN_VALUE);
        counter.add(Long.MIN_VALUE);
        assertThat(counter.get()).isZero();
        counter.add(Long.MAX_VALUE);
        counter.add(Long.MAX_VALUE);
        assertThat(counter.getAndReset()).isEqualTo(-2);
    }

    @Test
    void toStringShowsTheValue() {
        Counter counter = newCounter();
        counter.add(-42);
        assertThat(counter).hasToString("-42");
    }
}
