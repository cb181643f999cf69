package dev.tally.counter.impl;

import dev.tally.counter.Counter;
import dev.tally.counter.testkit.ThreadSafeCounterContractTest;

final class SynchronizedCounterTest extends ThreadSafeCounterContractTest {

    @Override
    protected Counter newCounter() {
        return new SynchronizedCounter();
    }
}
