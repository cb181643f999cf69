package dev.tally.counter.impl;

import dev.tally.counter.Counter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A counter held in one {@code long} cell that every operation updates atomically through a
 * {@link VarHandle}: {@code getAndAdd} for adds, {@code getAndSet} for drains.
 *
 * <pre>{@code
 * Counter requests = new AtomicCounter();
 * requests.add(10);
 * requests.decrement();
 * assert requests.getAndReset() == 9;
 * assert requests.get() == 0;
 * }</pre>
 *
 * <ul>
 *   <li>Thread safety: thread-safe.</li>
 *   <li>{@code get()}: linearizable; a volatile read of the one cell.</li>
 *   <li>Progress: lock-free. On x86-64 every operation is one atomic instruction ({@code lock
 *       xadd}, {@code xchg}) and never retries; where the hardware has no atomic add the JVM
 *       loops on a compare-and-set, in which some thread always succeeds.</li>
 * </ul>
 *
 * <p>All threads write the same cache line, so under heavy contention each add waits for that line
 * to travel between cores; {@link StripedCounter} spreads the writes instead.
 */
public final class AtomicCounter implements Counter {

    private static final VarHandle COUNT;

    static {
        try {
            COUNT = MethodHandles.lookup().findVarHandle(AtomicCounter.class, "count", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile long count;

    /** Creates a counter at zero. */
    public AtomicCounter() {
    }

    /** {@inheritDoc} Thread-safe, linearizable, lock-free. */
    @Override
    public void add(long delta) {
        COUNT.getAndAdd(this, delta);
    }

    /** {@inheritDoc} Thread-safe, linearizable, wait-free (one volatile read). */
    @Override
    public long get() {
        return count;
    }

    /** {@inheritDoc} Thread-safe, linearizable, lock-free; exactly-once. */
    @Override
    public long getAndReset() {
        return (long) COUNT.getAndSet(this, 0L);
    }

    /** Returns the current value in decimal, as {@link #get()} reads it. */
    @Override
    public String toString() {
        return Long.toString(count);
    }
}
