package dev.tally.counter.impl;

import java.util.Map;

/**
 * Amounts of a {@link StripedCounterMap} that could not be moved to their keys' slots (moving
 * one may rebuild the table, which can run out of memory or call a key's throwing
 * {@code hashCode}): kept on the map's stack of parked amounts, read by {@code get} and
 * {@code snapshot}, and delivered once, by the drain that pops them.
 */
abstract class Parked {

    /** The next parked record on the map's stack; written before the record is pushed. */
    Parked next;

    /** Merges every amount of this record into {@code out}, by key; may throw from a key's hashCode. */
    abstract void deliverTo(Map<Object, Long> out);

    /** The sum of this record's amounts for {@code key}. */
    abstract long amountOf(Object key);

    /**
     * One amount for one key. Allocated before its amount is taken from where it lies (allocate
     * first, then take), so that parking it allocates nothing.
     */
    static final class Residue extends Parked {
        private Object key;
        private long amount;

        /** Fills the record; done once, before it is parked. */
        Residue of(Object k, long a) {
            key = k;
            amount = a;
            return this;
        }

        @Override
        void deliverTo(Map<Object, Long> out) {
            out.merge(key, amount, Long::sum);
        }

        @Override
        long amountOf(Object k) {
            return key == k || key.equals(k) ? amount : 0L;
        }
    }
}
