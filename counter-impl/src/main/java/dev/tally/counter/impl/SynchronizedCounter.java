package dev.tally.counter.impl;

import dev.tally.counter.Counter;

/**
 * A counter whose every operation holds the intrinsic lock ({@code synchronized}) of a private
 * monitor.
 *
 * <pre>{@code
 * Counter counter = new SynchronizedCounter();
 * Thread other = new Thread(counter::increment);
 * other.start();
 * counter.increment();
 * other.join();
 * assert counter.get() == 2;
 * }</pre>
 *
 * <ul>
 *   <li>Thread safety: thread-safe. Each operation runs alone under the lock, so the read, add and
 *       write of an update can no longer interleave with another thread's.</li>
 *   <li>{@code get()}: linearizable; it returns the value left by the last update to release the
 *       lock.</li>
 *   <li>Progress: blocking. A thread that is descheduled while it holds the lock stalls every
 *       other thread that uses the counter.</li>
 * </ul>
 *
 * <p>The monitor is a private object rather than {@code this}, so code outside the class cannot
 * hold it and stall the counter.
 */
public final class SynchronizedCounter implements Counter {

    private final Object lock = new Object();
    private long count;

    /** Creates a counter at zero. */
    public SynchronizedCounter() {
    }

    /** {@inheritDoc} Thread-safe, linearizable, blocking. */
    @Override
    public void add(long delta) {
        synchronized (lock) {
            count += delta;
        }
    }

    /** {@inheritDoc} Thread-safe, linearizable, blocking. */
    @Override
    public long get() {
        synchronized (lock) {
            return count;
        }
    }

    /** {@inheritDoc} Thread-safe, linearizable, blocking; exactly-once. */
    @Override
    public long getAndReset() {
        synchronized (lock) {
            long taken = count;
            count = 0L;
            return taken;
        }
    }

    /** Returns the current value in decimal, as {@link #get()} reads it. */
    @Override
    public String toString() {
        return Long.toString(get());
    }
}
