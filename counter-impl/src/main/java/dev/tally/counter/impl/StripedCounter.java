package dev.tally.counter.impl;

import dev.tally.counter.Counter;

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
 * <p>An add is one atomic add on a padded stripe that the calling thread's id picks, with no
 * {@code ThreadLocal} and no retry; the stripes double under contention, up to a bound (by default
 * the smallest power of two at or above {@link Runtime#availableProcessors()}). Each stripe keeps
 * the sum of the positive deltas and the sum of the magnitudes of the negative ones apart, which is
 * what gives {@link #get()} its lower bound.
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
 *       reads below zero, as long as no drain has split an increment from its decrement (see
 *       {@code getAndReset()} below). The bound holds while no
 *       {@code getAndReset()} or {@code reset()} runs concurrently and while the true totals do
 *       not wrap around {@code long}. A {@code get()} that overlaps a drain may see some stripes
 *       before they are emptied and some after: it can then return any mix of the two, including
 *       a value below zero or below every value the counter held.</li>
 *   <li>{@code getAndReset()}: exactly-once. Each stripe's cells are emptied with an atomic
 *       get-and-set, so an add lands either before the swap (and is returned) or after it (and
 *       remains); concurrent drains each take disjoint adds. Lock-free, but not a snapshot: adds
 *       to stripes already drained stay for the next drain, and a drain that overlaps mixed-sign
 *       adds can split an increment from its decrement (it empties the added cell, then the
 *       subtracted one): it may return a decrement without its increment, or the reverse, and
 *       leave the other half in the counter. Every add is still counted once; but after such a
 *       drain the counter itself can hold a value below zero, so "never below zero" holds only
 *       on a counter whose drains never overlap an increment and its decrement (jcstress
 *       scenario {@code DrainSplit}).</li>
 * </ul>
 *
 * <h2>Memory</h2>
 * Each stripe is one object, most of it padding against false sharing (the README gives the sizes
 * measured with JOL). A new counter holds one stripe; stripes are added only under contention, up
 * to the bound, and never removed.
 */
public final class StripedCounter extends StripedCells implements Counter {

    /**
     * Creates a counter at zero whose stripes grow up to the smallest power of two at or above the
     * number of available processors.
     */
    public StripedCounter() {
        this(stripesForProcessors());
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
        super(checkedBound(maxStripes));
    }

    private static int checkedBound(int maxStripes) {
        if (maxStripes < 1) {
            throw new IllegalArgumentException("maxStripes must be at least 1, was " + maxStripes);
        }
        return Integer.highestOneBit(maxStripes);
    }

    /** {@inheritDoc} Thread-safe and wait-free on x86-64; see the class comment. */
    @Override
    public void add(long delta) {
        addStriped(delta);
    }

    /**
     * {@inheritDoc} Thread-safe and lock-free, but not an atomic snapshot: never less than the
     * value held at some instant during the call, while no drain runs concurrently (see the class
     * comment for the exact promise).
     */
    @Override
    public long get() {
        long subtracted = stripedSubtracted();
        long added = stripedAdded();
        return added - subtracted;
    }

    /** {@inheritDoc} Thread-safe, lock-free and exactly-once; see the class comment. */
    @Override
    public long getAndReset() {
        return drainStripes();
    }

    /** Returns the current value in decimal, as {@link #get()} reads it. */
    @Override
    public String toString() {
        return Long.toString(get());
    }
}
