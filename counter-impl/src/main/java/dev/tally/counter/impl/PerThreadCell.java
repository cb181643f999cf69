package dev.tally.counter.impl;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One writer's cell in a {@link PerThreadCounter}: the sums of its positive and negative deltas,
 * written only by the thread that owns the handle. The owner needs no atomic instruction: a plain
 * read of its own last value and a release store of the new one. What drains took from it is
 * kept by the counter, not here.
 */
final class PerThreadCell extends PerThreadCellPadAfter {

    private static final VarHandle ADDED;
    private static final VarHandle SUBTRACTED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            ADDED = lookup.findVarHandle(PerThreadCellValues.class, "added", long.class);
            SUBTRACTED = lookup.findVarHandle(PerThreadCellValues.class, "subtracted", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Owner only: a plain read of the owner's own last store, then a release store. */
    void add(long amount) {
        ADDED.setRelease(this, (long) ADDED.get(this) + amount);
    }

    /** Owner only: as {@link #add}, for the subtracted sum. */
    void subtract(long amount) {
        SUBTRACTED.setRelease(this, (long) SUBTRACTED.get(this) + amount);
    }

    long added() {
        return (long) ADDED.getAcquire(this);
    }

    long subtracted() {
        return (long) SUBTRACTED.getAcquire(this);
    }
}

/** 48 bytes of padding before the values; see {@code StripePadBefore} for the sizes. */
abstract class PerThreadCellPadBefore {
    long p01, p02, p03, p04, p05, p06;
}

/** The owner's two sums. */
abstract class PerThreadCellValues extends PerThreadCellPadBefore {
    long added;
    long subtracted;
}

/** 48 bytes of padding after the values. */
abstract class PerThreadCellPadAfter extends PerThreadCellValues {
    long p11, p12, p13, p14, p15, p16;
}
