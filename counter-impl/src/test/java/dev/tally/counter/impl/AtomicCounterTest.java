package dev.tally.counter.impl;

import dev.tally.counter.Counter;
import dev.tally.counter.testkit.ThreadSafeCounterContractTest;

final class AtomicCounterTest extends ThreadSafeCounterContractTest {

    @Override
    protected Counter newCounter() {
        return new AtomicCounter();
    }
}
