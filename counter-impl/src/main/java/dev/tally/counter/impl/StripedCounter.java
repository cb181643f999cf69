package dev.tally.counter.impl;

import dev.tally.counter.Counter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A counter that spreads contended writes over several padded stripes, so that threads on
 * different cores stop fighting over one cache line.
 *
 * <pre>{@code
 * Counter inFlight = new StripedCounter();
 * inFlight.increment();                 // a request starts
 * inFlight.increment();
 * inFlight.decrement();                 // one ends
 * assert inFlight.get() == 1;           // never below zero while requests come and go
 * }</pre>
 *
 * <h2>How it works</h2>
 * It starts with one stripe. An add is one atomic add on the stripe its thread maps to; the stripe
 * also remembers the id of its last writer, and when an add finds that another thread wrote the
 * stripe since, the stripe count doubles, up to a bound (by default the smallest power of two at or
 * above {@link Runtime#availableProcessors()}); at the bound, threads that share a stripe are
 * re-mapped. A thread picks its stripe from its id, so adds need no {@code ThreadLocal}. Each
 * stripe keeps positive and negative deltas in separate cells that only grow until drained: the
 * sum of what was added and the sum of what was subtracted.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Thread safety: thread-safe.</li>
 *   <li>{@code add}: one atomic add that never fails or retries: wait-free where the hardware has
 *       an atomic add (x86-64), lock-free elsewhere.</li>
 *   <li>{@code get()}: <em>not</em> an atomic snapshot, but a lower bound that
 *       {@code LongAdder.sum()} does not give: the result is never less than the value the counter
 *       held at some instant during the call. It reads every subtracted cell first, then every
 *       added cell; cells only grow, so what it subtracts is at most what had been subtracted at
 *       the instant between the two passes, and what it adds is at least what had been added
 *       then. So every add that returned before {@code get()} was called is counted, and a counter
 *       whose every decrement follows its increment (requests in flight, open connections) never
 *       reads below zero. The bound holds while no
 *       {@code getAndReset()} or {@code reset()} runs concurrently and while the true totals do
 *       not wrap around {@code long}. A {@code get()} that overlaps a drain may see some stripes
 *       before they are emptied and some after: it can then return any mix of the two, including
 *       a value below zero or below every value the counter held.</li>
 *   <li>{@code getAndReset()}: exactly-once. Each stripe's cells are emptied with an atomic
 *       get-and-set, so an add lands either before the swap (and is returned) or after it (and
 *       remains); concurrent drains each take disjoint adds. Lock-free, but not a snapshot: adds
 *       to stripes already drained stay for the next drain.</li>
 * </ul>
 *
 * <h2>Memory</h2>
 * Each stripe is one object of 136 bytes, most of it padding against false sharing. A new counter
 * holds one stripe (216 bytes in all, by JOL); stripes are added only under contention, up to the
 * bound, and never removed.
 */
public final class StripedCounter implements Counter {

    private static final VarHandle TABLE;

    static {
        try {
            TABLE = MethodHandles.lookup()
                    .findVarHandle(StripedCounter.class, "table", StripeTable.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Re-map threads on about one in this many signs of sharing at the bound, not on every one. */
    private static final int REHASH_ODDS = 8;

    private final int maxStripes;
    private volatile StripeTable table = StripeTable.single();

    /**
     * Creates a counter at zero whose stripes grow up to the smallest power of two at or above the
     * number of available processors.
     */
    public StripedCounter() {
        this(ceilingPowerOfTwo(Runtime.getRuntime().availableProcessors()));
    }

    /**
     * Creates a counter at zero whose stripes grow up to the largest power of two that is at most
     * {@code maxStripes}.
     *
     * @param maxStripes the bound on the number of stripes; {@code 1} gives a single stripe, which
     *     behaves like {@link AtomicCounter} with the lower-bound {@code get()} of this class
     * @throws IllegalArgumentException if {@code maxStripes} is less than 1
     */
    public StripedCounter(int maxStripes) {
        if (maxStripes < 1) {
            throw new IllegalArgumentException("maxStripes must be at least 1, was " + maxStripes);
        }
        this.maxStripes = Integer.highestOneBit(maxStripes);
    }

    /** {@inheritDoc} Thread-safe and wait-free on x86-64; see the class comment. */
    @Override
    public void add(long delta) {
        long writer = Thread.currentThread().getId();
        StripeTable current = table;
        Stripe stripe = current.stripeFor(writer);
        boolean shared = delta >= 0 ? stripe.add(delta, writer) : stripe.subtract(-delta, writer);
        if (shared) {
            spread(current);
        }
    }

    /**
     * Another thread wrote the stripe this thread just wrote: double the stripes while below the
     * bound; at the bound, re-map the threads on about one sign in {@value #REHASH_ODDS}, so that
     * two threads that run at once and share a stripe soon stop sharing it. With more threads
     * running at once than stripes (a bound below the core count) sharing cannot end, and the
     * re-maps then cost every add a reread of the table now and then.
     */
    private void spread(StripeTable seen) {
        if (seen.size() < maxStripes) {
            replace(seen, seen.doubled());
        } else if (ThreadLocalRandom.current().nextInt(REHASH_ODDS) == 0) {
            replace(seen, seen.rehashed());
        }
    }

    /** Installs {@code next} if {@code seen} is still current; a lost race needs no retry. */
    private void replace(StripeTable seen, StripeTable next) {
        TABLE.compareAndSet(this, seen, next);
    }

    /**
     * {@inheritDoc} Thread-safe and lock-free, but not an atomic snapshot: never less than the
     * value held at some instant during the call, while no drain runs concurrently (see the class
     * comment for the exact promise).
     */
    @Override
    public long get() {
        long subtracted = 0L;
        for (Stripe stripe : table.stripes) {
            subtracted += stripe.subtracted();
        }
        // Read the table again: a stripe that took an add before this point is in this table.
        long added = 0L;
        for (Stripe stripe : table.stripes) {
            added += stripe.added();
        }
        return added - subtracted;
    }

    /** {@inheritDoc} Thread-safe, lock-free and exactly-once; see the class comment. */
    @Override
    public long getAndReset() {
        long taken = 0L;
        for (Stripe stripe : table.stripes) {
            taken += stripe.drain();
        }
        return taken;
    }

    /** Returns the current value in decimal, as {@link #get()} reads it. */
    @Override
    public String toString() {
        return Long.toString(get());
    }

    /** The number of stripes now in use; for tests. */
    int stripeCount() {
        return table.size();
    }

    private static int ceilingPowerOfTwo(int n) {
        return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }
}
