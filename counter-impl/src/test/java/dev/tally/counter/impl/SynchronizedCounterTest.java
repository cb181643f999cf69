package dev.tally.counter.impl;

import dev.tally.counter.Counter;

final class SynchronizedCounterTest extends ThreadSafeCounterContractTest {

    @Override
    Counter newCounter() {
        return new SynchronizedCounter();
    }
}
