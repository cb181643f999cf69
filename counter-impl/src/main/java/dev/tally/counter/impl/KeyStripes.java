package dev.tally.counter.impl;

/**
 * The striped cells of one contended key of a {@link StripedCounterMap}: what a key inflates to
 * when two adds collide on its slot, as a {@code LongAdder} grows cells past its base. The same
 * stripes as {@link StripedCounter}'s, grown the same way.
 */
final class KeyStripes extends StripedCells {

    KeyStripes() {
        super(stripesForProcessors());
    }

    /** What the stripes hold; no lower bound is promised for a map's key, so one pass each. */
    long read() {
        long subtracted = stripedSubtracted();
        return stripedAdded() - subtracted;
    }
}
