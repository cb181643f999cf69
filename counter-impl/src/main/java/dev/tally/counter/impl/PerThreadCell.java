package dev.tally.counter.impl;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;

/**
 * One writer's cell in a {@link PerThreadCounter}: the sums of its positive and negative deltas,
 * written only by the thread that owns the handle. The owner needs no atomic instruction: a plain
 * read of its own last value and a release store of the new one. What drains took from it is
 * kept by the counter, not here.
 *
 * <p>The cell is also the weak reference to its handle, queued on the counter's queue once the
 * handle is unreachable, so that a handle dropped without {@code close()} is still folded in.
 * Being that reference costs the cell nothing: its fields fill the padding in front of the sums.
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

    /** A cell that is not in its counter's array: not yet added, or folded. */
    static final int NOT_LIVE = -1;

    /**
     * Read-only. HotSpot puts this field or {@link #index} in the 4-byte gap after the
     * reference's fields (when the header is 12 bytes) and the other behind the last padding long;
     * either way no field that changes often shares a line with the sums.
     */
    final PerThreadCounter counter;

    /**
     * Where the cell sits in its counter's array, or {@link #NOT_LIVE}. Written under the
     * counter's write lock, rarely; read without it by the owner's adds, which only ask whether
     * it is {@code NOT_LIVE}: that can change under a live owner only through its own close.
     */
    int index = NOT_LIVE;

    PerThreadCell(PerThreadCounter.Writer handle, PerThreadCounter counter,
            ReferenceQueue<? super PerThreadCounter.Writer> dropped) {
        super(handle, dropped);
        this.counter = counter;
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

/**
 * Padding before the sums, so that no byte of the object before this cell shares a 64-byte cache
 * line with them: the sums start at least 64 bytes into the object. In front of the padding sit
 * the header and the reference's four 4-byte fields (written by the collector once, when the
 * handle dies). Five longs, because the header is 8 bytes with {@code -XX:+UseCompactObjectHeaders}
 * (sums at 64) and 12 without it (then a 4-byte field of the cell fills the gap that aligns the
 * longs, and the sums start at 72). counter-bench's {@code PaddingLayoutTest} checks it under both
 * layouts.
 */
abstract class PerThreadCellPadBefore extends WeakReference<PerThreadCounter.Writer> {
    long p01, p02, p03, p04, p05;

    PerThreadCellPadBefore(PerThreadCounter.Writer handle,
            ReferenceQueue<? super PerThreadCounter.Writer> dropped) {
        super(handle, dropped);
    }
}

/** The owner's two sums. */
abstract class PerThreadCellValues extends PerThreadCellPadBefore {
    long added;
    long subtracted;

    PerThreadCellValues(PerThreadCounter.Writer handle,
            ReferenceQueue<? super PerThreadCounter.Writer> dropped) {
        super(handle, dropped);
    }
}

/**
 * Padding after the sums: with the cell's read-mostly fields behind it and the next object's
 * header (8 bytes at least), at least 64 bytes between the sums and that object's fields, under
 * either header layout.
 */
abstract class PerThreadCellPadAfter extends PerThreadCellValues {
    long p11, p12, p13, p14, p15, p16;

    PerThreadCellPadAfter(PerThreadCounter.Writer handle,
            ReferenceQueue<? super PerThreadCounter.Writer> dropped) {
        super(handle, dropped);
    }
}
