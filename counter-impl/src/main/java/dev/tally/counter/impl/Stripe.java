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

    /** Thread ids start at 1, so 0 marks a stripe nobody has written yet. */
    private static final long NO_WRITER = 0L;

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
        // Links every VarHandle call site of this class now, when the first counter is built: the
        // first call at a site allocates to link it, and an OutOfMemoryError thrown there in a
        // drain would strike after part of the drain was taken.
        Stripe warm = new Stripe();
        warm.add(1L);
        warm.subtract(1L);
        warm.drain();
    }

    /**
     * Once in about every {@code 2^SAMPLE_SHIFT} of a cell's growth, an add also checks who wrote
     * the stripe last (see {@link StripedCells}); every other add is the atomic add alone.
     */
    private static final int SAMPLE_SHIFT = 10;

    /**
     * Adds {@code amount} to the added cell with one atomic add, which never fails or retries.
     *
     * @return whether this add is a sample: it carried the cell across a multiple of
     *     {@code 2^SAMPLE_SHIFT}, and the caller should check {@link #sharedWith}
     */
    boolean add(long amount) {
        long before = (long) ADDED.getAndAdd(this, amount);
        return crossesSample(before, amount);
    }

    /** As {@link #add}, for the subtracted cell. */
    boolean subtract(long amount) {
        long before = (long) SUBTRACTED.getAndAdd(this, amount);
        return crossesSample(before, amount);
    }

    private static boolean crossesSample(long before, long amount) {
        return ((before ^ (before + amount)) >>> SAMPLE_SHIFT) != 0;
    }

    /**
     * Records {@code writer} as the last sampled writer of this stripe and returns whether the
     * writer changed at this sample and at the one before: the stripe is shared by threads that
     * run at once, and its cache line travels between cores. Plain fields on the cells' own line,
     * stored only at samples; a hint, never part of the count, so a racy read or a lost store
     * costs at most one missed or extra sign.
     */
    boolean sharedWith(long writer) {
        long last = lastWriter;
        if (last == writer) {
            changes = 0;
            return false;
        }
        lastWriter = writer;
        // One change of writer is a turn taken; two in a row are two threads writing at once.
        return last != NO_WRITER && ++changes >= 2;
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
 * Padding before the cells, so that no byte of the object the allocator placed just before this
 * stripe (often the previous stripe) shares a 64-byte cache line with them: the cells start at
 * least 64 bytes into the object. HotSpot lays out superclass fields before subclass fields, so
 * the padding stays in front. Seven longs, because the header is 8 bytes with
 * {@code -XX:+UseCompactObjectHeaders} (cells at 64) and 12 without it (then {@code changes} fills
 * the header's 4-byte gap and the cells start at 72). counter-bench's {@code PaddingLayoutTest}
 * checks it under both layouts.
 */
abstract class StripePadBefore {
    long p01, p02, p03, p04, p05, p06, p07;
}

/** The two cells and the last sampled writer's id, between the paddings. */
abstract class StripeValues extends StripePadBefore {
    volatile long added;
    volatile long subtracted;
    long lastWriter;
    /** Changes of writer at consecutive samples; HotSpot puts it in the header's 4-byte gap if any. */
    int changes;
}

/**
 * Padding after the cells: with the last sampled writer's id and the next object's header (8
 * bytes at least), at least 64 bytes between the cells and that object's fields, under either
 * header layout.
 */
abstract class StripePadAfter extends StripeValues {
    long p11, p12, p13, p14, p15, p16;
}
