package dev.tally.counter.impl;

import dev.tally.counter.Counter;

final class AtomicCounterTest extends ThreadSafeCounterContractTest {

    @Override
    Counter newCounter() {
        return new AtomicCounter();
    }
}
