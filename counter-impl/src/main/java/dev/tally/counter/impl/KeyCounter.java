package dev.tally.counter.impl;

import dev.tally.counter.Counter;

/**
 * The {@link Counter} that {@link StripedCounterMap#counter(Object)} returns: it keeps the stripes
 * of the slot its key was last found in, and finds the key again only once they are retired.
 */
final class KeyCounter implements Counter {

    /*
     * Implementation overview.
     *
     * An add through the handle is StripedCounter's add on the kept stripes, then one load of
     * their retired flag, which sits beside the fields the add has just read. There is no check
     * before the add: an add that lands in stripes already retired reads the flag set afterwards,
     * drains them and moves what it took to the key (StripedCounterMap.moveResidue), so it is
     * counted exactly once either way. Binding a handle inflates its key's slot, so the handle
     * never needs the table: it keeps only the stripes, and an idle handle holds no table that
     * a rebuild has replaced.
     */

    private final StripedCounterMap<?> map;
    private final Object key;

    /** Null until the first add, and again after the stripes were found retired. */
    private volatile KeyStripes stripes;

    KeyCounter(StripedCounterMap<?> map, Object key) {
        this.map = map;
        this.key = key;
    }

    /** {@inheritDoc} The map's add to this counter's key; see {@link StripedCounterMap}. */
    @Override
    public void add(long delta) {
        KeyStripes s = stripes;
        if (s == null) {
            if (delta == 0L) {
                return;
            }
            s = map.bindStripes(key);
            stripes = s;
        }
        s.addStriped(delta);
        if (s.retired()) {
            stripes = null;
            map.moveResidue(s);
        }
    }

    @SuppressWarnings("unchecked")
    private <K> StripedCounterMap<K> typed() {
        return (StripedCounterMap<K>) map;
    }

    /** {@inheritDoc} The map's {@code get} of this counter's key. */
    @Override
    public long get() {
        return typed().get(key);
    }

    /** {@inheritDoc} The map's {@code getAndReset} of this counter's key; exactly-once. */
    @Override
    public long getAndReset() {
        return typed().getAndReset(key);
    }

    /** Returns the key and its value, as {@link #get()} reads it. */
    @Override
    public String toString() {
        return key + "=" + get();
    }
}
