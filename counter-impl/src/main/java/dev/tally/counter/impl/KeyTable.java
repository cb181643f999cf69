package dev.tally.counter.impl;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One generation of a {@link StripedCounterMap}'s open-addressing table: keys, values and states
 * in three parallel arrays, so that a key costs a slot in each (about 13 bytes) and no object of
 * its own. A slot is never given to another key: a removed key leaves a tombstone until the map
 * builds its next table. The map publishes the guarantees; this class only the slot mechanics.
 */
final class KeyTable {

    /** A removed key's slot: probes pass over it, inserts do not reuse it. */
    static final Object TOMBSTONE = new Object();

    /** The slot's key was at zero at the last drain (cleared by a drain that takes non-zero). */
    static final int IDLE = 1;
    /** The slot's adds go to the {@link KeyStripes} in {@link #stripes(int)}. */
    static final int INFLATED = 2;
    /** The slot is out of use: adds that land after this was set must move what they left. */
    static final int RETIRED = 4;

    /** Slots per lazily allocated chunk of stripes references. */
    private static final int CHUNK_SHIFT = 6;

    private static final VarHandle KEYS = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final VarHandle VALUES = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle STATES = MethodHandles.arrayElementVarHandle(byte[].class);
    private static final VarHandle CHUNKS =
            MethodHandles.arrayElementVarHandle(KeyStripes[][].class);
    private static final VarHandle STRIPES =
            MethodHandles.arrayElementVarHandle(KeyStripes[].class);

    static {
        // Links every VarHandle call site of this class now: the first call at a site allocates
        // to link it, and an OutOfMemoryError there in a rebuild would strike after slots were
        // retired, in a drain after amounts were taken (as Stripe does for its own).
        KeyTable warm = new KeyTable(2);
        Object key = new Object();
        int i = warm.insert(key, 0, 1L, 0);
        warm.find(key, 0);
        warm.clear(i, IDLE);
        warm.setUnlessRetired(i, IDLE);
        warm.casValue(i, warm.value(i), 2L);
        warm.installStripes(i, new KeyStripes(key, 0));
        warm.read(i);
        warm.take(i, null);
        warm.setUnlessRetired(i, RETIRED);
        warm.takeRetired(i);
        warm.dropStripes(i);
        warm.bury(i);
        warm.key(i);
    }

    final int mask;
    private final Object[] keys;
    private final long[] values;
    private final byte[] states;
    /**
     * The stripes of inflated slots, in chunks allocated on first use, so that a table whose keys
     * are never contended carries no reference per slot.
     */
    private final KeyStripes[][] chunks;

    /** Slots holding a key or a tombstone. Guarded by the map's structure lock. */
    int used;

    /**
     * Set before a rebuild retires the slots, so that readers which miss a key wait for the new
     * table instead of reading 0.
     */
    volatile boolean moving;

    /**
     * The spread hash of each slot's key, set by the rebuild that replaced this table before it
     * retires any slot: what a drain that fails puts back into a slot the rebuild retired goes to
     * the key with this hash, without calling the key's hashCode again.
     */
    int[] rebuiltHashes;

    KeyTable(int capacity) {
        mask = capacity - 1;
        keys = new Object[capacity];
        values = new long[capacity];
        states = new byte[capacity];
        chunks = new KeyStripes[((capacity - 1) >>> CHUNK_SHIFT) + 1][];
    }

    /** The hash the rebuild computed for slot {@code i}'s key; only for a slot it retired. */
    int rebuiltHash(int i) {
        return rebuiltHashes[i];
    }

    int capacity() {
        return mask + 1;
    }

    /** A hash that spreads sequential and low-entropy {@code hashCode}s over the table. */
    static int spread(Object key) {
        int h = key.hashCode() * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    /** The slot holding {@code key} and not retired, or -1. Lock-free. */
    int find(Object key, int hash) {
        for (int i = hash & mask;; i = (i + 1) & mask) {
            Object k = KEYS.getAcquire(keys, i);
            if (k == null) {
                return -1;
            }
            if ((k == key || k.equals(key)) && (state(i) & RETIRED) == 0) {
                return i;
            }
        }
    }

    /**
     * Puts {@code key} in a free slot and returns it. The caller holds the structure lock and has
     * made sure that a free slot remains; the key is published with a release store, after the
     * value and state it starts with.
     */
    int insert(Object key, int hash, long value, int state) {
        for (int i = hash & mask;; i = (i + 1) & mask) {
            if (keys[i] == null) {
                values[i] = value;
                states[i] = (byte) state;
                KEYS.setRelease(keys, i, key);
                used++;
                return i;
            }
        }
    }

    /** The key in slot {@code i}: null for a free slot, or {@link #TOMBSTONE}. */
    Object key(int i) {
        return KEYS.getAcquire(keys, i);
    }

    void bury(int i) {
        KEYS.setRelease(keys, i, TOMBSTONE);
    }

    int state(int i) {
        return (byte) STATES.getVolatile(states, i);
    }

    boolean casState(int i, int expected, int next) {
        return STATES.compareAndSet(states, i, (byte) expected, (byte) next);
    }

    /**
     * Sets {@code flag} in slot {@code i}'s state unless the slot is retired; returns the state
     * before, or -1 if it was retired.
     */
    int setUnlessRetired(int i, int flag) {
        while (true) {
            int s = state(i);
            if ((s & RETIRED) != 0) {
                return -1;
            }
            if ((s & flag) == flag || casState(i, s, s | flag)) {
                return s;
            }
        }
    }

    /** Clears {@code flag} in slot {@code i}'s state, whatever else it holds. */
    void clear(int i, int flag) {
        while (true) {
            int s = state(i);
            if ((s & flag) == 0 || casState(i, s, s & ~flag)) {
                return;
            }
        }
    }

    long value(int i) {
        return (long) VALUES.getVolatile(values, i);
    }

    boolean casValue(int i, long expected, long next) {
        return VALUES.compareAndSet(values, i, expected, next);
    }

    /** The slot's stripes, or null if it never inflated or was retired. */
    KeyStripes stripes(int i) {
        KeyStripes[] chunk = (KeyStripes[]) CHUNKS.getAcquire(chunks, i >>> CHUNK_SHIFT);
        return chunk == null ? null
                : (KeyStripes) STRIPES.getAcquire(chunk, i & ((1 << CHUNK_SHIFT) - 1));
    }

    /** Installs {@code fresh} as slot {@code i}'s stripes unless it has some; returns the winner. */
    KeyStripes installStripes(int i, KeyStripes fresh) {
        int c = i >>> CHUNK_SHIFT;
        KeyStripes[] chunk = (KeyStripes[]) CHUNKS.getAcquire(chunks, c);
        if (chunk == null) {
            KeyStripes[] made = new KeyStripes[1 << CHUNK_SHIFT];
            KeyStripes[] seen = (KeyStripes[]) CHUNKS.compareAndExchange(chunks, c, null, made);
            chunk = seen == null ? made : seen;
        }
        int j = i & ((1 << CHUNK_SHIFT) - 1);
        KeyStripes seen = (KeyStripes) STRIPES.compareAndExchange(chunk, j, null, fresh);
        return seen == null ? fresh : seen;
    }

    /** Drops slot {@code i}'s stripes, once the slot is retired and they have been drained. */
    void dropStripes(int i) {
        KeyStripes[] chunk = (KeyStripes[]) CHUNKS.getAcquire(chunks, i >>> CHUNK_SHIFT);
        if (chunk != null) {
            STRIPES.setRelease(chunk, i & ((1 << CHUNK_SHIFT) - 1), null);
        }
    }

    /**
     * Atomically empties the slot's value and, if it has them, its stripes (each with a swap), and
     * returns what they held: every add to the slot is taken by exactly one call, or stays.
     */
    long take(int i, KeyStripes known) {
        long taken = (long) VALUES.getAndSet(values, i, 0L);
        KeyStripes s = known != null ? known : stripes(i);
        if (s != null) {
            taken += s.drainStripes();
        }
        return taken;
    }

    /**
     * As {@link #take}, for a slot the caller has just retired: first marks its stripes retired,
     * so that an add which lands in them after this take moves what it finds there (see
     * {@link KeyStripes#retired()}).
     */
    long takeRetired(int i) {
        long taken = (long) VALUES.getAndSet(values, i, 0L);
        KeyStripes s = stripes(i);
        if (s != null) {
            s.retire();
            taken += s.drainStripes();
        }
        return taken;
    }

    /** What the slot holds now; not a snapshot across its stripes. */
    long read(int i) {
        long v = value(i);
        KeyStripes s = stripes(i);
        return s == null ? v : v + s.read();
    }
}
