package dev.tally.counter.impl;

/**
 * The striped cells of one contended key of a {@link StripedCounterMap}: what a key inflates to
 * when two adds collide on its slot, as a {@code LongAdder} grows cells past its base. The same
 * stripes as {@link StripedCounter}'s, grown the same way.
 */
final class KeyStripes extends StripedCells {

    /** The key of the slot these stripes belong to, where an add that finds them retired moves. */
    final Object key;

    /** The key's {@link KeyTable#spread spread} hash, so that a look-up skips most mismatches. */
    final int hash;

    /**
     * Set, before the stripes are drained, by the thread that retires their slot. An add that
     * lands in the stripes and then reads it set drains them and moves what it took to the key's
     * current slot: the retiring drain and that one are swaps, so each amount is taken once.
     */
    private volatile boolean retired;

    KeyStripes(Object key, int hash) {
        super(stripesForProcessors());
        this.key = key;
        this.hash = hash;
    }

    /** Whether these are the stripes of {@code other}, whose spread hash is {@code otherHash}. */
    boolean isFor(Object other, int otherHash) {
        return hash == otherHash && (key == other || key.equals(other));
    }

    boolean retired() {
        return retired;
    }

    void retire() {
        retired = true;
    }

    /** What the stripes hold; no lower bound is promised for a map's key, so one pass each. */
    long read() {
        long subtracted = stripedSubtracted();
        return stripedAdded() - subtracted;
    }
}
