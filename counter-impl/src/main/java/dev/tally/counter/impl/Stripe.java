package dev.tally.counter.impl;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One stripe of a {@link StripedCounter}: two cells, the sum of the positive deltas ({@code added})
 * and the sum of the magnitudes of the negative ones ({@code subtracted}). Each cell only grows
 * (modulo 2<sup>64</sup>) until it is drained, which is what lets {@link StripedCounter#get()} put
 * a lower bound on its result.
 *
 * <p>Both cells share one padded object: they are written by the same threads, and the padding
 * that keeps other stripes off their cache line pays for both.
 */
final class Stripe extends StripePadAfter {

    private static final VarHandle ADDED;
    private static final VarHandle SUBTRACTED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            ADDED = lookup.findVarHandle(StripeValues.class, "added", long.class);
            SUBTRACTED = lookup.findVarHandle(StripeValues.class, "subtracted", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One compare-and-set; {@code false} means another thread updated the cell in between. */
    boolean tryAdd(long amount) {
        long seen = added;
        return ADDED.compareAndSet(this, seen, seen + amount);
    }

    /** One compare-and-set; {@code false} means another thread updated the cell in between. */
    boolean trySubtract(long amount) {
        long seen = subtracted;
        return SUBTRACTED.compareAndSet(this, seen, seen + amount);
    }

    /** Never fails; used once contention has been seen, so that every add finishes in one step. */
    void add(long amount) {
        ADDED.getAndAdd(this, amount);
    }

    /** Never fails; used once contention has been seen, so that every add finishes in one step. */
    void subtract(long amount) {
        SUBTRACTED.getAndAdd(this, amount);
    }

    long added() {
        return added;
    }

    long subtracted() {
        return subtracted;
    }

    /** Atomically empties both cells; returns what they held, added minus subtracted. */
    long drain() {
        long plus = (long) ADDED.getAndSet(this, 0L);
        long minus = (long) SUBTRACTED.getAndSet(this, 0L);
        return plus - minus;
    }
}

/**
 * 48 bytes of padding before the cells: with the 16-byte object header they keep the cells 64 bytes
 * from whatever object the allocator placed just before this stripe (often the previous stripe),
 * so two stripes' cells never share a cache line. HotSpot lays out superclass fields before
 * subclass fields, so the padding stays in front. 48 rather than 64 keeps a contended counter no
 * larger than a {@code LongAdder} with as many cells (measured with JOL in counter-bench).
 */
abstract class StripePadBefore {
    long p01, p02, p03, p04, p05, p06;
}

/** The two cells, between the paddings. */
abstract class StripeValues extends StripePadBefore {
    volatile long added;
    volatile long subtracted;
}

/**
 * 48 bytes of padding after the cells: with the next object's header, 64 bytes between the cells
 * and that object's fields.
 */
abstract class StripePadAfter extends StripeValues {
    long p11, p12, p13, p14, p15, p16;
}
