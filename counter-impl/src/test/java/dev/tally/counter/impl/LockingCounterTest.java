package dev.tally.counter.impl;

import dev.tally.counter.Counter;
import dev.tally.counter.testkit.ThreadSafeCounterContractTest;

final class LockingCounterTest extends ThreadSafeCounterContractTest {

    @Override
    protected Counter newCounter() {
        return new LockingCounter();
    }
}
