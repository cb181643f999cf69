package dev.tally.counter.impl;

import dev.tally.counter.Counter;

/**
 * The naive counter, {@code count += delta} and nothing more. <strong>NOT thread-safe.</strong>
 *
 * <pre>{@code
 * Counter local = new UnsynchronizedCounter();    // used by this thread only
 * for (int i = 0; i < 3; i++) {
 *     local.increment();
 * }
 * assert local.get() == 3;
 * }</pre>
 *
 * <p><strong>Do not share an instance between threads that may use it at the same time.</strong>
 * {@code count += delta} is three steps, a read, an add and a write; when two threads interleave
 * them, both read the same old value and one update is lost. Without a happens-before edge a
 * reader may also see a stale value, and the JIT may keep the count in a register for a whole
 * loop. The {@code counter-stress} module shows both happening.
 *
 * <p>Use it where one thread owns the counter at a time (a local tally, a counter handed from
 * thread to thread through a {@code BlockingQueue} or {@code Thread.join}, which publish it
 * safely), and as the baseline that the thread-safe counters are measured against.
 *
 * <ul>
 *   <li>Thread safety: none.</li>
 *   <li>{@code get()}: the value written by the last add of the owning thread; no promise to any
 *       other thread.</li>
 *   <li>Progress: wait-free, because it never coordinates; that is also why it loses updates.</li>
 * </ul>
 */
public final class UnsynchronizedCounter implements Counter {

    private long count;

    /** Creates a counter at zero. */
    public UnsynchronizedCounter() {
    }

    /** {@inheritDoc} Not thread-safe: a concurrent add can be lost. */
    @Override
    public void add(long delta) {
        count += delta;
    }

    /** {@inheritDoc} Not thread-safe: may miss or misread adds made by other threads. */
    @Override
    public long get() {
        return count;
    }

    /**
     * {@inheritDoc} Not thread-safe: an add made by another thread between the read and the
     * reset is lost.
     */
    @Override
    public long getAndReset() {
        long taken = count;
        count = 0L;
        return taken;
    }

    /** Returns the current value in decimal, as {@link #get()} reads it. */
    @Override
    public String toString() {
        return Long.toString(count);
    }
}
