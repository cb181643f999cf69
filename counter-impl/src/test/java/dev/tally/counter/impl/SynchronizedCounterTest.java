package dev.tally.counter.impl;

import dev.tally.counter.Counter;
import dev.tally.counter.testkit.ThreadSafeCounterContractTest;

final class SynchronizedCounterTest extends ThreadSafeCounterContractTest {

    @Override
    protected Counter newCounter() {
        return new SynchronizedCounter();
    }

    /**
     * A quarter of the default: every add and read here takes the monitor, which the racing
     * threads hand to each other, so the default race (1,000,000 items each way, 6 rounds) took
     * 5.6 s of the build's 6 minutes; a quarter of a million a round still races them.
     */
    @Override
    protected int inFlightItems() {
        return IN_FLIGHT_ITEMS / 4;
    }
}
