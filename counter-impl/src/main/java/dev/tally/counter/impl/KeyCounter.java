package dev.tally.counter.impl;

import dev.tally.counter.Counter;

/**
 * The {@link Counter} that {@link StripedCounterMap#counter(Object)} returns: it keeps the slot its
 * key was last found in, and looks the key up again only when that slot has been retired.
 */
final class KeyCounter implements Counter {

    /** A slot and the key it holds: the counter's key, or the overflow key past the cap. */
    record Binding(KeyTable table, int index, Object slotKey) {
    }

    private final StripedCounterMap<?> map;
    private final Object key;

    /** Replaced, never edited; racing threads may each bind, and any of their bindings is right. */
    private volatile Binding binding;

    KeyCounter(StripedCounterMap<?> map, Object key) {
        this.map = map;
        this.key = key;
    }

    /** {@inheritDoc} The map's add to this counter's key; see {@link StripedCounterMap}. */
    @Override
    public void add(long delta) {
        if (delta == 0L) {
            return;
        }
        while (true) {
            Binding b = binding;
            if (b != null && map.addAt(b.table(), b.index(), b.slotKey(), delta)) {
                return;
            }
            binding = map.bind(key);
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
