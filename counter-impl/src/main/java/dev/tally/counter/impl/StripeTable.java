package dev.tally.counter.impl;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An immutable snapshot of a {@link StripedCounter}'s stripes and of the hash that maps a thread to
 * one of them. The counter replaces its table to grow it or to re-map the threads, never edits it,
 * and every new table holds all the stripes of the one it replaces, so no add is ever stranded in
 * a stripe that readers cannot see.
 */
final class StripeTable {

    final Stripe[] stripes;
    private final int mask;
    private final long multiplier;

    private StripeTable(Stripe[] stripes, long multiplier) {
        this.stripes = stripes;
        this.mask = stripes.length - 1;
        this.multiplier = multiplier;
    }

    /** One stripe; with a multiplier of 1, threads created one after another get distinct stripes. */
    static StripeTable single() {
        return new StripeTable(new Stripe[] {new Stripe()}, 1L);
    }

    Stripe stripeFor(long threadId) {
        // Thread ids are sequential, so a multiplier of 1 gives a pool's threads neighbouring
        // stripes; after a rehash the multiplier is random and the xor folds its high bits down.
        long h = threadId * multiplier;
        return stripes[(int) (h ^ (h >>> 32)) & mask];
    }

    int size() {
        return stripes.length;
    }

    /** Twice the stripes, the old ones first: each thread keeps its stripe or moves to a new one. */
    StripeTable doubled() {
        Stripe[] bigger = Arrays.copyOf(stripes, stripes.length * 2);
        for (int i = stripes.length; i < bigger.length; i++) {
            bigger[i] = new Stripe();
        }
        return new StripeTable(bigger, multiplier);
    }

    /** The same stripes under a new random, odd multiplier, for threads that keep colliding. */
    StripeTable rehashed() {
        return new StripeTable(stripes, ThreadLocalRandom.current().nextLong() | 1L);
    }
}
