package dev.tally.counter.testkit;

import dev.tally.counter.Counter;
import dev.tally.counter.testkit.Promises.Drain;
import dev.tally.counter.testkit.Promises.Read;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The one list of tally's counters and what each promises. Adding a counter means adding it here
 * and writing its own file; the coverage tests then name every stress scenario, exact-total test,
 * benchmark and report table that does not cover it yet.
 *
 * <pre>{@code
 * for (Counters c : Counters.threadSafe()) {
 *     Counter counter = c.newCounter();
 *     counter.increment();
 *     assert counter.get() == 1 : c.label();
 * }
 * }</pre>
 *
 * <p>{@code RedisCounter} is not listed: it needs a server. counter-redis's
 * {@code RedisCounterContractTest} runs the same suites on it with its promises declared.
 *
 * <p>Counters are named, not referenced: counter-impl's own tests use this module, so it cannot
 * depend on counter-impl. {@code CounterListTest} in counter-impl checks that every name loads
 * and that every public counter there is listed.
 */
public enum Counters {
    /** {@code count += delta}: one thread at a time. */
    UNSYNCHRONIZED("Unsynchronized", "dev.tally.counter.impl.UnsynchronizedCounter",
            Promises.singleThreaded()),
    /** The intrinsic lock. */
    SYNCHRONIZED("Synchronized", "dev.tally.counter.impl.SynchronizedCounter",
            Promises.threadSafe(Read.LINEARIZABLE, Drain.SNAPSHOT)),
    /** A {@code ReentrantLock}. */
    LOCKING("Locking", "dev.tally.counter.impl.LockingCounter",
            Promises.threadSafe(Read.LINEARIZABLE, Drain.SNAPSHOT)),
    /** One atomic cell. */
    ATOMIC("Atomic", "dev.tally.counter.impl.AtomicCounter",
            Promises.threadSafe(Read.LINEARIZABLE, Drain.SNAPSHOT)),
    /** Growing stripes of added and subtracted sums. */
    STRIPED("Striped", "dev.tally.counter.impl.StripedCounter",
            Promises.threadSafe(Read.LOWER_BOUND, Drain.EXACTLY_ONCE)),
    /** Stripes, and a cell per {@code Writer} handle. */
    PER_THREAD("PerThread", "dev.tally.counter.impl.PerThreadCounter",
            Promises.threadSafe(Read.LOWER_BOUND, Drain.EXACTLY_ONCE).withHandles());

    private final String label;
    private final String className;
    private final Promises promises;

    Counters(String label, String className, Promises promises) {
        this.label = label;
        this.className = className;
        this.promises = promises;
    }

    /**
     * The short name that the stress variants, demos and benchmarks use ({@code "tally"} +
     * label for a benchmark).
     *
     * @return the label, such as {@code "PerThread"}
     */
    public String label() {
        return label;
    }

    /**
     * What this counter promises.
     *
     * @return its promises
     */
    public Promises promises() {
        return promises;
    }

    /**
     * The counter's class, loaded by name.
     *
     * @return the class
     * @throws IllegalStateException if it is not on the class path
     */
    public Class<? extends Counter> type() {
        try {
            return Class.forName(className).asSubclass(Counter.class);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(className + " is listed in Counters but not on the "
                    + "class path", e);
        }
    }

    /**
     * A new counter at zero, made by the class's public no-argument constructor.
     *
     * @return the counter
     */
    public Counter newCounter() {
        try {
            return type().getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(className + " has no public no-argument constructor", e);
        }
    }

    /**
     * The entry of {@code type}, if it is listed.
     *
     * @param type a counter class
     * @return its entry
     */
    public static Optional<Counters> of(Class<?> type) {
        return Arrays.stream(values()).filter(c -> c.className.equals(type.getName())).findFirst();
    }

    /**
     * Every thread-safe counter, in the list's order.
     *
     * @return the thread-safe counters
     */
    public static List<Counters> threadSafe() {
        return Arrays.stream(values()).filter(c -> c.promises.threadSafe()).toList();
    }
}
