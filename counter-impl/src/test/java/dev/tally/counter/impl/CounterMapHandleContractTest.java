package dev.tally.counter.impl;

import dev.tally.counter.Counter;
import dev.tally.counter.testkit.Promises;
import dev.tally.counter.testkit.ThreadSafeCounterContractTest;

/**
 * The {@link Counter} that {@link StripedCounterMap#counter(Object)} returns runs the contract
 * suite of the counters, with its difference declared: its {@code get()} is the map's, which reads
 * the key's slot and stripes one after another and keeps no lower bound, so it is an
 * {@link Promises.Read#ESTIMATE} (exact once the writers have returned) and the in-flight
 * never-below-zero race does not apply; and its {@code toString()} names the key before the
 * value. Its drain is exactly-once, not a snapshot. It is not in
 * the one list of counters ({@code Counters}): it is made by a map, not constructed, and the
 * map's own jcstress scenarios ({@code MapRemovalRace.StripedHandle}) and exact-total test
 * ({@code CounterMapExactTotalTest}, two of its writers) cover it.
 */
final class CounterMapHandleContractTest extends ThreadSafeCounterContractTest {

    @Override
    protected Counter newCounter() {
        return new StripedCounterMap<String>().counter("key");
    }

    @Override
    protected Promises promises() {
        return Promises.threadSafe(Promises.Read.ESTIMATE, Promises.Drain.EXACTLY_ONCE);
    }

    @Override
    protected String toStringLeavesOutTheValue() {
        return "toString() is key=value: it names its key before the value";
    }
}
