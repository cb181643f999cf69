package dev.tally.counter.impl;

import dev.tally.counter.Counter;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A counter whose every operation holds a {@link ReentrantLock}: lock, update in a {@code try},
 * unlock in the {@code finally}. The classic fix for the lost update.
 *
 * <pre>{@code
 * Counter inFlight = new LockingCounter();
 * inFlight.increment();       // a request starts
 * inFlight.decrement();       // and ends
 * inFlight.add(5);
 * assert inFlight.get() == 5;
 * }</pre>
 *
 * <ul>
 *   <li>Thread safety: thread-safe. Each operation runs alone under the lock.</li>
 *   <li>{@code get()}: linearizable; it returns the value left by the last update to release the
 *       lock.</li>
 *   <li>Progress: blocking. The lock is non-fair (the {@code ReentrantLock} default): a thread may
 *       barge ahead of one that is already waiting, which is faster under contention but gives no
 *       ordering between waiters.</li>
 * </ul>
 */
public final class LockingCounter implements Counter {

    private final ReentrantLock lock = new ReentrantLock();
    private long count;

    /** Creates a counter at zero. */
    public LockingCounter() {
    }

    /** {@inheritDoc} Thread-safe, linearizable, blocking. */
    @Override
    public void add(long delta) {
        lock.lock();
        try {
            count += delta;
        } finally {
            lock.unlock();
        }
    }

    /** {@inheritDoc} Thread-safe, linearizable, blocking. */
    @Override
    public long get() {
        lock.lock();
        try {
            return count;
        } finally {
            lock.unlock();
        }
    }

    /** {@inheritDoc} Thread-safe, linearizable, blocking; exactly-once. */
    @Override
    public long getAndReset() {
        lock.lock();
        try {
            long taken = count;
            count = 0L;
            return taken;
        } finally {
            lock.unlock();
        }
    }

    /** Returns the current value in decimal, as {@link #get()} reads it. */
    @Override
    public String toString() {
        return Long.toString(get());
    }
}
