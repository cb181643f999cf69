package dev.tally.stress;

import dev.tally.counter.Counter;
import dev.tally.counter.impl.AtomicCounter;
import dev.tally.counter.impl.LockingCounter;
import dev.tally.counter.impl.PerThreadCounter;
import dev.tally.counter.impl.StripedCounter;
import dev.tally.counter.impl.SynchronizedCounter;
import dev.tally.counter.impl.UnsynchronizedCounter;
import java.util.function.Supplier;

/** The counters the demos run, in the order they are printed. */
enum Implementation {
    UNSYNCHRONIZED("Unsynchronized", false, UnsynchronizedCounter::new),
    SYNCHRONIZED("Synchronized", true, SynchronizedCounter::new),
    LOCKING("Locking", true, LockingCounter::new),
    ATOMIC("Atomic", true, AtomicCounter::new),
    STRIPED("Striped", true, StripedCounter::new),
    PER_THREAD("PerThread", true, PerThreadCounter::new);

    final String label;
    final boolean threadSafe;
    private final Supplier<Counter> factory;

    Implementation(String label, boolean threadSafe, Supplier<Counter> factory) {
        this.label = label;
        this.threadSafe = threadSafe;
        this.factory = factory;
    }

    Counter newCounter() {
        return factory.get();
    }
}
