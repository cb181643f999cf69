package dev.tally.counter.impl;

/**
 * Amounts of a {@link StripedCounterMap} that could not be moved to their keys' slots (moving
 * one may rebuild the table, which can run out of memory or call a key's throwing
 * {@code hashCode}): kept on the map's stack of parked amounts, read by {@code get} and
 * {@code snapshot}, and delivered once, by the drain that pops them.
 */
abstract class Parked {

    /** Where {@link #forEach} hands each parked amount. */
    interface Sink {
        void accept(Object key, long amount);
    }

    /** The next parked record on the map's stack; written before the record is pushed. */
    Parked next;

    /** Hands every amount of this record, with its key, to {@code sink}. */
    abstract void forEach(Sink sink);

    /** The sum of this record's amounts for {@code key}, whose spread hash is {@code hash}. */
    abstract long amountOf(Object key, int hash);

    /**
     * One amount for one key. Allocated before its amount is taken from where it lies (allocate
     * first, then take), so that parking it allocates nothing.
     */
    static final class Residue extends Parked {
        private Object key;
        private int hash;
        private long amount;

        /** Fills the record; done once, before it is parked. */
        Residue of(Object k, int h, long a) {
            key = k;
            hash = h;
            amount = a;
            return this;
        }

        @Override
        void forEach(Sink sink) {
            sink.accept(key, amount);
        }

        @Override
        long amountOf(Object k, int h) {
            // The hash first: another key's equals is never called (it may throw).
            return hash == h && (key == k || key.equals(k)) ? amount : 0L;
        }
    }
}
