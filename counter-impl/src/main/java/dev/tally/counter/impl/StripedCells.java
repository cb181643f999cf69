package dev.tally.counter.impl;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The striped cells behind {@link StripedCounter} and behind {@link PerThreadCounter}'s
 * {@code Counter} methods: padded {@link Stripe}s that a thread picks from its id, grown under
 * contention. Package-private, as {@code Striped64} is behind {@code LongAdder}: the subclasses
 * publish the guarantees, this class only the mechanism.
 */
abstract class StripedCells {

    /*
     * Implementation overview.
     *
     * An add is one atomic add (lock xadd on x86-64) on the stripe that the calling thread's id
     * maps to, and nothing else on most calls: no ThreadLocal, no compare-and-set that can fail,
     * no store besides the add itself. The path is three dependent loads (the array, its element,
     * the cell) and the locked instruction, the shape of JCTools' fixed-size striped counter plus
     * the one load that lets the array grow.
     *
     * Contention is learnt by sampling: the atomic add returns the cell's previous value, and when
     * the add carries the cell across a multiple of 2^SAMPLE_SHIFT (about one increment in a
     * thousand, every add of a larger delta), the thread compares the stripe's last sampled writer
     * with itself. Two samples in a row by another thread than the one before are the sign of
     * sharing: two threads that write a stripe at once alternate there within a few samples,
     * while threads that write it one after another (a pool taking turns) change writer once per
     * turn, and one thread alone never does. A sign of sharing doubles the stripes up to the
     * bound; at the bound it re-maps every thread with a new random multiplier, on about one sign
     * in REHASH_ODDS. The
     * writer id is a hint, never part of the count, so a racy read or a lost store costs at most
     * one missed or extra sign.
     *
     * Stripes are never removed, and every new array holds all the stripes of the one it
     * replaces, so an add that lands in a stripe through an old array is still summed. A thread
     * that reads the multiplier of one array and indexes another only picks a different stripe.
     */

    private static final VarHandle STRIPES;

    static {
        try {
            STRIPES = MethodHandles.lookup()
                    .findVarHandle(StripedCells.class, "stripes", Stripe[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Re-map threads on about one in this many signs of sharing at the bound. */
    private static final int REHASH_ODDS = 8;

    private final int maxStripes;

    /** Length a power of two; replaced, never edited, and each replacement keeps every stripe. */
    private volatile Stripe[] stripes = {new Stripe()};

    /**
     * Odd; 1 at first, so that threads created one after another (a pool's) get neighbouring
     * stripes. Read without ordering against {@link #stripes}: any pairing picks a valid stripe.
     */
    private volatile long multiplier = 1L;

    StripedCells(int maxStripes) {
        this.maxStripes = maxStripes;
    }

    /** Adds {@code delta} to the calling thread's stripe: one atomic add, never retried. */
    final void addStriped(long delta) {
        long writer = Thread.currentThread().getId();
        Stripe[] current = stripes;
        long h = writer * multiplier;
        Stripe stripe = current[(int) (h ^ (h >>> 32)) & (current.length - 1)];
        boolean sampled = delta >= 0 ? stripe.add(delta) : stripe.subtract(-delta);
        if (sampled && stripe.sharedWith(writer)) {
            spread(current);
        }
    }

    /**
     * Doubles the stripes below the bound; at the bound, now and then re-maps the threads. Runs
     * after the caller's add has been counted, so it must not throw: growing is only a hint, and
     * a heap too full to grow skips it.
     */
    private void spread(Stripe[] seen) {
        try {
            if (seen.length < maxStripes) {
                Stripe[] doubled = Arrays.copyOf(seen, seen.length * 2);
                for (int i = seen.length; i < doubled.length; i++) {
                    doubled[i] = new Stripe();
                }
                // A lost race needs no retry: the winner grew the array, or will re-map.
                STRIPES.compareAndSet(this, seen, doubled);
            } else if (ThreadLocalRandom.current().nextInt(REHASH_ODDS) == 0) {
                multiplier = ThreadLocalRandom.current().nextLong() | 1L;
            }
        } catch (OutOfMemoryError e) {
            // The add that asked for room is already counted: the caller must not see it fail.
        }
    }

    /** The sum of every stripe's subtracted cell; for a lower bound, read this first. */
    final long stripedSubtracted() {
        long sum = 0L;
        for (Stripe stripe : stripes) {
            sum += stripe.subtracted();
        }
        return sum;
    }

    /**
     * The sum of every stripe's added cell. Reads the array again, so a stripe that took an add
     * before this call is in what it reads.
     */
    final long stripedAdded() {
        long sum = 0L;
        for (Stripe stripe : stripes) {
            sum += stripe.added();
        }
        return sum;
    }

    /** Empties every stripe with atomic swaps; returns what they held. Exactly-once, lock-free. */
    final long drainStripes() {
        long taken = 0L;
        for (Stripe stripe : stripes) {
            taken += stripe.drain();
        }
        return taken;
    }

    /** The number of stripes now in use; for tests. */
    final int stripeCount() {
        return stripes.length;
    }

    /** The smallest power of two at or above the number of available processors. */
    static int stripesForProcessors() {
        int n = Runtime.getRuntime().availableProcessors();
        return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }
}
