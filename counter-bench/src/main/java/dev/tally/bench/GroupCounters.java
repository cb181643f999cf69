package dev.tally.bench;

import dev.tally.counter.impl.AtomicCounter;
import dev.tally.counter.impl.LockingCounter;
import dev.tally.counter.impl.PerThreadCounter;
import dev.tally.counter.impl.StripedCounter;
import dev.tally.counter.impl.SynchronizedCounter;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jctools.counters.Counter;
import org.jctools.counters.CountersFactory;

/**
 * The counters that the group benchmarks ({@link MixedBenchmark}, {@link DrainBenchmark}) put
 * writers and a reader or drainer on; each group gets its own instance.
 */
public abstract class GroupCounters {

    final SynchronizedCounter tallySynchronized = new SynchronizedCounter();
    final LockingCounter tallyLocking = new LockingCounter();
    final AtomicCounter tallyAtomic = new AtomicCounter();
    final StripedCounter tallyStriped = new StripedCounter();
    /** Written through its {@code Counter} methods: no handle, as a thread without one would. */
    final PerThreadCounter tallyPerThread = new PerThreadCounter();
    final AtomicLong jdkAtomicLong = new AtomicLong();
    final LongAdder jdkLongAdder = new LongAdder();
    final Counter jctoolsStriped = CountersFactory.createFixedSizeStripedCounter(Peers.JCTOOLS_STRIPES);
}
