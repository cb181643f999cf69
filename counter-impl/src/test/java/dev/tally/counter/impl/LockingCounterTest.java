package dev.tally.counter.impl;

import dev.tally.counter.Counter;

final class LockingCounterTest extends ThreadSafeCounterContractTest {

    @Override
    Counter newCounter() {
        return new LockingCounter();
    }
}
