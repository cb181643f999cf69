package dev.tally.counter.impl;

import dev.tally.counter.Counter;
import dev.tally.counter.testkit.CounterContractTest;

/**
 * Only the single-threaded contract: this counter is not thread-safe. That it loses updates under
 * threads is shown by the jcstress tests of {@code counter-stress}.
 */
final class UnsynchronizedCounterTest extends CounterContractTest {

    @Override
    protected Counter newCounter() {
        return new UnsynchronizedCounter();
    }
}
