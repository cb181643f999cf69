package dev.tally.counter.impl;

import dev.tally.counter.Counter;
import dev.tally.counter.CounterMap;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Counters by key for many writer threads: exact drains of every key, keys removed once idle, and
 * an optional cap on the number of keys.
 *
 * <pre>{@code
 * CounterMap<String> errors = new StripedCounterMap<>(1_000, "other");   // at most 1,000 keys besides "other"
 * errors.increment("timeout");
 * Counter refused = errors.counter("refused");                          // bound once, no look-up per add
 * refused.add(2);
 * assert errors.drain().equals(java.util.Map.of("timeout", 1L, "refused", 2L));
 * errors.drain();                                                       // both at zero for a whole period...
 * errors.drain();                                                       // ...so this drain removes them
 * assert errors.size() == 0;
 * refused.increment();                                                  // the handle still counts
 * assert errors.get("refused") == 1;
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Thread safety: thread-safe.</li>
 *   <li>Exactly-once: every add is counted exactly once, in the result of one {@link #drain()} or
 *       one {@link #getAndReset(Object)}, or in what the map holds afterwards, under any
 *       interleaving, including an add that races the removal of its key and one that races the
 *       map growing or shrinking its table (jcstress scenarios {@code MapDrainRace} and
 *       {@code MapRemovalRace}).</li>
 *   <li>{@code add} to a key the map holds: lock-free (a compare-and-set on the key's slot, whose
 *       failure means another add succeeded); a key whose adds collide inflates to striped cells
 *       like {@link StripedCounter}'s, where an add is one atomic add, wait-free on x86-64.
 *       Through a {@link #counter(Object)}: the key's slot is inflated when the counter is first
 *       used, and each add is {@code StripedCounter}'s add plus one read of a flag, wait-free on
 *       x86-64 while the key stays in place. So is {@code add} to a contended key that the map
 *       keeps in its small cache of contended keys (see Memory). An add that finds its key
 *       removed re-adds it and retries. An add to a key the map does not hold takes a lock to
 *       insert it, and an add that finds its key's table being rebuilt waits for the
 *       rebuild.</li>
 *   <li>Visibility: an add is visible to every {@code get}, {@code snapshot} and drain that
 *       starts after it returns, with one exception: an add that lands in a key just removed is
 *       moved to the key's new place by the first thread that sees the removal, which may be a
 *       different adder of that key, so it may become visible a moment after its own
 *       {@code add} returned. It is never lost.</li>
 *   <li>{@code get(key)}: not linearizable: the key's slot and, for a contended key, its cells,
 *       read one after another. Lock-free, except while the table is rebuilt, which it waits
 *       for.</li>
 *   <li>{@code drain()}: exactly-once, but not a snapshot of one instant: it takes each key in
 *       turn with atomic swaps, so an add to a key already taken stays for the next drain. One
 *       drain runs at a time (others wait); a drain never blocks adds, except when it shrinks the
 *       table. {@code getAndReset(key)} is exactly-once and lock-free, except during a rebuild.
 *       {@code snapshot()} reads each key in turn, taking nothing.</li>
 *   <li>Errors: a method that throws (an {@link OutOfMemoryError}, or a key's {@code hashCode})
 *       leaves every count as it was: a drain first puts back what it took, to the key's slot or,
 *       for a key it had just removed, to the key as a new add (past the cap, the overflow key);
 *       a table that cannot be rebuilt is left as it was; an add that throws is not counted. An
 *       add that has counted does not throw: where it must move its key's amount (the key was
 *       removed or its table replaced) and the move fails (re-inserting the key rebuilds the
 *       table, which runs out of memory or meets another key's throwing {@code hashCode}), the
 *       amount is parked with the map, read by {@code get} and {@code snapshot}, and delivered by
 *       the next {@code drain()}; so is an amount that a failing drain cannot put back. Under
 *       a cap, a parked amount goes to the overflow key if the drain's result already holds
 *       {@code maxKeys} other keys. The one exception is a heap that cannot spare the few bytes
 *       of a parking record, made before the amount is taken: then that amount is lost, and the
 *       add throws. While amounts are parked, {@code get} walks their records.</li>
 * </ul>
 *
 * <h2>Memory</h2>
 * A key costs one slot in each of three arrays (its key reference, a {@code long} and a state
 * byte), with no object of its own, in a table at most three quarters full (tombstones counted)
 * and, after a drain, at least one-eighth full; a key whose adds collide, or that a
 * {@code counter(key)} writes, also holds the stripes it inflated to. A {@code Counter} from
 * {@code counter(key)} holds only those stripes, never a table the map has replaced. The map
 * also keeps a cache of 64 references to contended keys' stripes, so that adds to them skip the
 * table; an entry whose key was removed is emptied by the next drain. A key removed leaves a
 * tombstone until the table is rebuilt, which happens when the table fills up, and when a drain
 * finds it less than one-eighth used.
 *
 * <p>A key whose value is zero at one drain (nothing added since the drain before, or adds that
 * sum to zero) and again at the next is removed by that next drain. So the map holds the keys
 * added to in the last two drain periods, not every key ever seen. A key removed reads 0; adding
 * to it again brings it back, and a {@code Counter} from {@link #counter(Object)} keeps counting
 * into it after its removal.
 *
 * <h2>Cap</h2>
 * Built with {@link #StripedCounterMap(int, Object)}, the map holds at most {@code maxKeys} keys
 * besides the overflow key. Once it does, an add to a key it does not hold goes to the overflow
 * key instead, counted exactly like any other add; so does a {@code Counter} from
 * {@code counter(key)} made for such a key, until the overflow key is removed, when it tries its
 * own key again. Keys removed make room for new ones.
 *
 * @param <K> the type of the keys
 */
public final class StripedCounterMap<K> implements CounterMap<K> {

    /*
     * Implementation overview.
     *
     * The keys live in an open-addressing table (KeyTable) of three parallel arrays: keys, values
     * (long) and states (byte: IDLE, INFLATED, RETIRED bits), with linear probing. A slot is
     * never reused for another key within one table, so an index that a thread holds always
     * means the same key. Readers probe without a lock; inserts take the structure lock
     * and publish the key with a release store after its value and state.
     *
     * An add to a held key is a compare-and-set on its value. After two failures in one add the
     * slot inflates: a KeyStripes (StripedCounter's stripes) is installed in a lazily allocated
     * side chunk, then the INFLATED bit is set, and from then on adds go to the stripes. The
     * value stays a part of the key's count (late CASes still land there), so every read and
     * take sums both.
     *
     * A counter(K) handle keeps only its slot's stripes (binding inflates the slot), adds to
     * them with no check first, and reads their retired flag after: retiring threads set it
     * before draining the stripes, so an add that lands later sees it and moves what the stripes
     * hold (KeyCounter). The map's own adds to an inflated slot use the same flag.
     *
     * The map keeps a small cache of such stripes, indexed by the key's hash (`hot`): an add
     * whose key is there adds to the stripes as a handle does, with no probe of the table and no
     * state read, which makes the add to a contended key a shorter chain of dependent loads than
     * a ConcurrentHashMap look-up plus LongAdder's. An entry is filled by an add that finds its
     * key's slot inflated, only where the entry is empty or its stripes retired (so adds to
     * different keys never take turns writing it), and emptied by an add that finds its stripes
     * retired and by each drain; it is a hint, never part of the count.
     *
     * Every KeyStripes that an adder can reach is eventually retired and drained by someone: the
     * slot's retirer for the stripes it finds there, and, for stripes installed in a slot that
     * was retired before their INFLATED bit could be set (an adder that read INFLATED earlier
     * may find them), their installer (abandon).
     *
     * Removal is retirement: the RETIRED bit is set by CAS (by a drain, only on a slot that is
     * IDLE: zero at the previous drain and zero again now), and then the retiring thread takes
     * the slot's value and stripes with atomic swaps. Every add re-reads the state after landing:
     * an add that lands after the retiring swap comes after the RETIRED store in the
     * synchronization order (all of these are volatile-mode accesses), so it sees RETIRED and
     * swaps out what the slot holds and adds that to the key's current slot. Each amount in the
     * slot is taken by exactly one swap: the retirer's, or one adder's. An add that sees RETIRED
     * before landing adds nothing there and looks the key up again. A slot's stripes are dropped
     * only after RETIRED is set and they are taken, so an adder that sees INFLATED and no stripes
     * is looking at a retired slot.
     *
     * Growing and shrinking build a new table under the structure lock: the old one is marked
     * `moving`, every slot retired and taken into the new table (the IDLE bit kept, the stripes
     * folded into the value), then the new table is published. Late adders to the old table move
     * their residue as above; readers that miss a key in a moving table take the lock, which
     * waits for the rebuild, and look again.
     *
     * A drain runs under its own lock, never the structure lock except to shrink: it walks the
     * table it read, swaps each slot, and marks or retires idle ones. A rebuild racing it retires
     * the slots it has not reached; their values are then in the new table and stay for the next
     * drain.
     *
     * The cap counts keys other than the overflow key; the check under the structure lock is
     * exact, and a lock-free pre-check refuses new keys once the map holds more than maxKeys.
     *
     * Parking: an amount taken after its add landed (a residue), or put back by a failing drain,
     * must still reach its key, and moving it can fail: re-inserting a removed key may rebuild
     * the table, which can run out of memory or meet another key's throwing hashCode or equals.
     * addTo throws only before it adds anything, so such an amount is whole in the mover's hand;
     * it goes onto `parked`, a lock-free stack of records (Parked) allocated before the amount
     * was taken (allocate first, then take), so parking allocates nothing and throws nothing.
     * get and snapshot add what is parked for a key; the next drain pops the whole stack with one
     * swap and delivers it in its result, each record once, or pushes it all back if it throws.
     * An add whose amount has landed therefore never throws, and nothing it moves is lost, unless
     * the heap could not spare the record's few bytes before the take.
     */

    private static final int MIN_CAPACITY = 16;

    /** Entries of the cache of contended keys' stripes; a power of two. */
    private static final int HOT_SLOTS = 64;

    private static final VarHandle HOT = MethodHandles.arrayElementVarHandle(KeyStripes[].class);

    private static final VarHandle PARKED;

    static {
        try {
            PARKED = MethodHandles.lookup().findVarHandle(StripedCounterMap.class, "parked",
                    Parked.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static {
        // Links the call site that runs after an add has landed (see KeyTable's static block):
        // its first call allocates, and an OutOfMemoryError there would leave the add in retired
        // stripes, never moved.
        forget(new KeyStripes[1], 0, null);
        // And those of parking, which runs where memory may have run out.
        StripedCounterMap<Object> warm = new StripedCounterMap<>();
        warm.park(new Parked.Residue().of(warm, 0, 1L));
        warm.parkedAmount(warm, 0);
        warm.repark(warm.unpark());
    }

    private final ReentrantLock structure = new ReentrantLock();
    private final ReentrantLock draining = new ReentrantLock();
    private final AtomicInteger held = new AtomicInteger();
    private final int maxKeys;
    private final Object overflowKey;
    private volatile KeyTable table = new KeyTable(MIN_CAPACITY);
    /**
     * The stripes of keys seen contended, by hash: the short cut of the add path (see the
     * overview). Each entry is a hint: retired stripes in it are moved out of, as by a handle.
     */
    private final KeyStripes[] hot = new KeyStripes[HOT_SLOTS];
    /** The top of the stack of amounts that could not be moved to their keys (see the overview). */
    private volatile Parked parked;

    /** Creates an empty map with no cap on the number of keys. */
    public StripedCounterMap() {
        this.maxKeys = Integer.MAX_VALUE;
        this.overflowKey = null;
    }

    /**
     * Creates an empty map that holds at most {@code maxKeys} keys besides {@code overflowKey}.
     *
     * @param maxKeys the most keys held at once, the overflow key not counted
     * @param overflowKey the key that adds to new keys go to once the map is full
     * @throws IllegalArgumentException if {@code maxKeys} is less than 1
     * @throws NullPointerException if {@code overflowKey} is null
     */
    public StripedCounterMap(int maxKeys, K overflowKey) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys must be at least 1, was " + maxKeys);
        }
        this.maxKeys = maxKeys;
        this.overflowKey = Objects.requireNonNull(overflowKey, "overflowKey");
    }

    /**
     * {@inheritDoc} Thread-safe; lock-free for a key the map holds, blocking to insert a new key
     * (see the class comment). An add of 0 changes nothing.
     */
    @Override
    public void add(K key, long delta) {
        Objects.requireNonNull(key, "key");
        if (delta == 0L) {
            return;
        }
        // Kept small, so that it inlines: the cache's short cut here, the rest in addTo.
        int hash = KeyTable.spread(key);
        int h = hash & (HOT_SLOTS - 1);
        KeyStripes cached = (KeyStripes) HOT.getAcquire(hot, h);
        if (cached != null && cached.isFor(key, hash)) {
            // As a counter(key) handle adds: no check before, the retired flag after.
            cached.addStriped(delta);
            if (cached.retired()) {
                moveFromCached(h, cached);
            }
        } else {
            addTo(key, hash, delta);
        }
    }

    /** Empties hot slot {@code h} of the retired {@code stripes}, and moves what they hold. */
    private void moveFromCached(int h, KeyStripes stripes) {
        forget(hot, h, stripes);
        moveResidue(stripes);
    }

    private void addTo(Object key, long delta) {
        addTo(key, KeyTable.spread(key), delta);
    }

    private void addTo(Object key, int keyHash, long delta) {
        Object k = key;
        int hash = keyHash;
        while (true) {
            KeyTable t = table;
            int i = t.find(k, hash);
            if (i >= 0) {
                if ((t.state(i) & KeyTable.INFLATED) != 0) {
                    remember(t.stripes(i), hash & (HOT_SLOTS - 1));
                }
                if (addAt(t, i, k, hash, delta)) {
                    return;
                }
            } else if (!admit(k, hash)) {
                k = overflowKey;
                hash = KeyTable.spread(k);
            }
        }
    }

    /**
     * Adds {@code delta} to slot {@code i} of {@code t}, which holds {@code key}. Returns false,
     * having added nothing, if the slot was retired first; once the add has landed it returns
     * true, having moved what the slot held if it was retired meanwhile.
     */
    boolean addAt(KeyTable t, int i, Object key, int hash, long delta) {
        int failures = 0;
        while (true) {
            int s = t.state(i);
            if ((s & KeyTable.RETIRED) != 0) {
                return false;
            }
            if ((s & KeyTable.INFLATED) != 0) {
                KeyStripes stripes = t.stripes(i);
                if (stripes == null) {
                    continue;   // dropped: the slot is retired, and the state says so next
                }
                // No state check after this add: the retired flag beside the stripes' own fields
                // is set before a retiring thread drains them (see KeyCounter).
                stripes.addStriped(delta);
                if (stripes.retired()) {
                    moveResidue(stripes);
                }
                return true;
            }
            long v = t.value(i);
            if (!t.casValue(i, v, v + delta)) {
                if (++failures >= 2) {
                    inflate(t, i, key, hash);
                }
                continue;
            }
            if ((t.state(i) & KeyTable.RETIRED) != 0) {
                Parked.Residue reserved = reserve();
                long residue = t.take(i, null);
                if (residue != 0L) {
                    // The hash known, not the key's hashCode again; parked if it cannot move.
                    moveOrPark(key, hash, residue, reserved);
                }
            }
            return true;
        }
    }

    /**
     * Puts {@code amount}, which a failing drain took from live slot {@code i} of {@code t},
     * back: into the slot while it lasts, else (a rebuild retired it) to the key in the new
     * table, with the hash that rebuild computed. Never calls the key's hashCode, which may be
     * what made the drain fail. Throws only before it has put anything back.
     */
    private void putBack(KeyTable t, int i, Object key, long amount) {
        while (true) {
            int s = t.state(i);
            if ((s & KeyTable.RETIRED) != 0) {
                addTo(key, t.rebuiltHash(i), amount);
                return;
            }
            if ((s & KeyTable.INFLATED) != 0) {
                KeyStripes stripes = t.stripes(i);
                if (stripes == null) {
                    continue;
                }
                stripes.addStriped(amount);
                if (stripes.retired()) {
                    moveResidue(stripes);
                }
                return;
            }
            long v = t.value(i);
            if (t.casValue(i, v, v + amount)) {
                if ((t.state(i) & KeyTable.RETIRED) != 0) {
                    Parked.Residue reserved = reserve();
                    long residue = t.take(i, null);
                    if (residue != 0L) {
                        moveOrPark(key, t.rebuiltHash(i), residue, reserved);
                    }
                }
                return;
            }
        }
    }

    /**
     * Caches {@code stripes}, of a slot seen inflated, in hot slot {@code h} if that is free or
     * holds retired stripes; a slot that holds live stripes is left to them, so that threads
     * adding to different keys do not take turns writing it.
     */
    private void remember(KeyStripes stripes, int h) {
        if (stripes != null) {
            KeyStripes seen = (KeyStripes) HOT.getAcquire(hot, h);
            if (seen == null || (seen != stripes && seen.retired())) {
                HOT.compareAndSet(hot, h, seen, stripes);
            }
        }
    }

    /** Empties hot slot {@code h} if it still holds {@code stripes}. */
    private static void forget(KeyStripes[] hot, int h, KeyStripes stripes) {
        HOT.compareAndSet(hot, h, stripes, null);
    }

    /** Empties the hot slots whose stripes are retired, so that they hold no removed key. */
    private void forgetRetired() {
        for (int h = 0; h < HOT_SLOTS; h++) {
            KeyStripes seen = (KeyStripes) HOT.getAcquire(hot, h);
            if (seen != null && seen.retired()) {
                HOT.compareAndSet(hot, h, seen, null);
            }
        }
    }

    /**
     * Gives slot {@code i} stripes, unless it is retired. A hint, as growing the stripes is: with
     * the heap too full for the stripes it does nothing, and the add carries on with its
     * compare-and-set, so that an add that moves other threads' residue never loses it here.
     */
    private void inflate(KeyTable t, int i, Object key, int hash) {
        KeyStripes won;
        try {
            won = t.installStripes(i, new KeyStripes(key, hash));
        } catch (OutOfMemoryError e) {
            return;
        }
        if (t.setUnlessRetired(i, KeyTable.INFLATED) < 0) {
            abandon(t, i, won);
        }
    }

    /**
     * Gives up {@code stripes}, installed in slot {@code i} but refused the INFLATED bit because
     * the slot was retired first. The slot's retirer may not have seen them, and an adder that
     * read INFLATED before the retirement (from stripes since dropped) may have found and added
     * to them: so they are retired and drained as any retired stripes are, and what they held is
     * moved to their key.
     */
    private void abandon(KeyTable t, int i, KeyStripes stripes) {
        stripes.retire();
        t.dropStripes(i);
        moveResidue(stripes);
    }

    /**
     * Makes the map hold {@code key}, under the structure lock, unless the cap refuses it: returns
     * whether the key is held (or was already).
     */
    private boolean admit(Object key, int hash) {
        boolean capped = overflowKey != null && !key.equals(overflowKey);
        if (capped && held.get() > maxKeys) {
            return false;
        }
        structure.lock();
        try {
            KeyTable t = table;
            if (t.find(key, hash) >= 0) {
                return true;
            }
            if (capped) {
                int others = held.get() - (t.find(overflowKey, KeyTable.spread(overflowKey)) >= 0 ? 1 : 0);
                if (others >= maxKeys) {
                    return false;
                }
            }
            if ((t.used + 1) * 4L > t.capacity() * 3L) {
                t = rebuild(t, held.get() + 1);
            }
            // Counted before it is visible: a drain may remove it as soon as it is.
            held.incrementAndGet();
            t.insert(key, hash, 0L, 0);
            return true;
        } finally {
            structure.unlock();
        }
    }

    /** Builds and publishes a table for {@code keys} keys from {@code old}. Under the lock. */
    private KeyTable rebuild(KeyTable old, int keys) {
        int capacity = MIN_CAPACITY;
        while (capacity < keys * 2L) {
            capacity <<= 1;
        }
        // Allocate first, then commit: the new arrays and every key's hashCode, the steps that
        // can throw, come before the first slot is retired, so a rebuild that throws leaves the
        // old table as it was. Inserts hold the lock, so no key appears between the two loops.
        KeyTable fresh = new KeyTable(capacity);
        int[] hashes = new int[old.capacity()];
        for (int i = 0; i <= old.mask; i++) {
            Object k = old.key(i);
            if (k != null && k != KeyTable.TOMBSTONE) {
                hashes[i] = KeyTable.spread(k);
            }
        }
        old.rebuiltHashes = hashes;
        old.moving = true;
        for (int i = 0; i <= old.mask; i++) {
            Object k = old.key(i);
            if (k == null || k == KeyTable.TOMBSTONE) {
                continue;
            }
            int s = old.setUnlessRetired(i, KeyTable.RETIRED);
            if (s >= 0) {
                fresh.insert(k, hashes[i], old.takeRetired(i), s & KeyTable.IDLE);
            }
        }
        table = fresh;
        return fresh;
    }

    /** Waits for a rebuild in progress, if any, to publish its table. */
    private void awaitRebuild() {
        structure.lock();
        structure.unlock();
    }

    /**
     * {@inheritDoc} Thread-safe, not linearizable; lock-free except during a rebuild (see the
     * class comment).
     */
    @Override
    public long get(K key) {
        Objects.requireNonNull(key, "key");
        int hash = KeyTable.spread(key);
        while (true) {
            KeyTable t = table;
            int i = t.find(key, hash);
            if (i < 0) {
                if (!t.moving) {
                    return parkedAmount(key, hash);
                }
                awaitRebuild();
                continue;
            }
            long v = t.read(i);
            if ((t.state(i) & KeyTable.RETIRED) == 0) {
                return v + parkedAmount(key, hash);
            }
        }
    }

    /**
     * {@inheritDoc} Thread-safe and exactly-once; lock-free except during a rebuild. Does not
     * remove the key. Amounts parked after a failed move (see Errors in the class comment) are
     * left for the next {@link #drain()}.
     */
    @Override
    public long getAndReset(K key) {
        Objects.requireNonNull(key, "key");
        int hash = KeyTable.spread(key);
        long taken = 0L;
        while (true) {
            KeyTable t = table;
            int i = t.find(key, hash);
            if (i < 0) {
                if (!t.moving) {
                    return taken;
                }
                awaitRebuild();
                continue;
            }
            long v = t.take(i, null);
            taken += v;
            if (v != 0L) {
                t.clear(i, KeyTable.IDLE);
            }
            if ((t.state(i) & KeyTable.RETIRED) == 0) {
                return taken;
            }
        }
    }

    /**
     * {@inheritDoc} Thread-safe and exactly-once, not a snapshot; blocking, one drain at a time.
     * Removes the keys that were zero at the previous drain and are zero now. A drain that throws
     * (an error, or a key's {@code hashCode} while the result is built) first puts back every
     * amount it took, so each add is still in the map.
     */
    @Override
    public Map<K, Long> drain() {
        draining.lock();
        try {
            KeyTable t = table;
            Taken taken = new Taken();
            Parked popped = unpark();
            try {
                // Inside the try: takeAll records each take before the next can run out of
                // memory, so what it took before it threw goes back too.
                takeAll(t, taken);
                forgetRetired();
                Map<K, Long> out = taken.toMap();
                deliver(popped, out);
                shrinkIfSparse(t);
                return out;
            } catch (Throwable e) {
                repark(popped);
                giveBack(t, taken, e);
                throw e;
            }
        } finally {
            draining.unlock();
        }
    }

    /**
     * Takes every slot of {@code t} into {@code taken}, marks the slots at zero idle and removes
     * the idle ones. Allocates only to make room in {@code taken} before each take, so what it
     * took is always recorded there, even when it throws.
     */
    private void takeAll(KeyTable t, Taken taken) {
        for (int i = 0; i <= t.mask; i++) {
            Object k = t.key(i);
            if (k == null || k == KeyTable.TOMBSTONE) {
                continue;
            }
            int s = t.state(i);
            if ((s & KeyTable.RETIRED) != 0) {
                continue;
            }
            taken.reserve();
            long v = t.take(i, null);
            if (v != 0L) {
                taken.record(i, k, v);
                if ((s & KeyTable.IDLE) != 0) {
                    t.clear(i, KeyTable.IDLE);
                }
            } else if ((s & KeyTable.IDLE) == 0) {
                t.setUnlessRetired(i, KeyTable.IDLE);
            } else if (retireIdle(t, i)) {
                taken.record(~i, k, t.takeRetired(i));   // negative: removed by this drain
                t.dropStripes(i);
                t.bury(i);
                held.decrementAndGet();
            }
        }
    }

    /**
     * Puts back what a drain that is about to throw {@code failure} took: into the slot it came
     * from while that slot lasts, else to its key as a new add. A put-back that throws too is
     * added to {@code failure} as suppressed, its amount parked (the record stays in
     * {@code taken}, which is parked whole), and the rest still go back.
     */
    private void giveBack(KeyTable t, Taken taken, Throwable failure) {
        boolean parkedSome = false;
        for (Taken.Block b = taken.first; b != null; b = b.next) {
            for (int j = 0; j < b.size; j++) {
                try {
                    int slot = b.slots[j];
                    if (slot < 0) {
                        addTo(b.keys[j], b.values[j]);   // a key this drain removed: a new add
                    } else {
                        putBack(t, slot, b.keys[j], b.values[j]);
                    }
                } catch (Throwable e) {
                    // Nothing of it was put back (both throw only before): parked, in place.
                    b.slots[j] = Taken.PARKED;
                    parkedSome = true;
                    suppress(failure, e);
                }
            }
        }
        if (parkedSome) {
            park(taken);
        }
    }

    /**
     * Adds {@code e} to {@code failure}'s suppressed exceptions, unless it is the same object (a
     * JVM short of memory throws one shared OutOfMemoryError) or that needs memory it lacks.
     */
    private static void suppress(Throwable failure, Throwable e) {
        if (e != failure) {
            try {
                failure.addSuppressed(e);
            } catch (Throwable ignored) {
                // the failure is thrown without it
            }
        }
    }

    /** A merge of two amounts of one key that leaves no entry for a sum of zero. */
    static Long sumOrNone(Long a, Long b) {
        long sum = a + b;
        return sum == 0L ? null : sum;
    }

    /**
     * What one drain took, slot by slot, in blocks added before each take that finds the last one
     * full (allocate first, then take), so that a drain that throws can put every amount back.
     * Blocks, not one array grown by copying: a drain of many keys copies nothing, and one of
     * few keys allocates little.
     */
    private static final class Taken extends Parked {
        private static final int LARGEST_BLOCK = 1 << 10;

        /** The slot of a record that could not be put back: parked with this Taken. */
        static final int PARKED = Integer.MIN_VALUE;

        /** One block of records; the first holds 16, each next one twice its predecessor's. */
        static final class Block {
            final int[] slots;
            final Object[] keys;
            final long[] values;
            int size;
            Block next;

            Block(int capacity) {
                slots = new int[capacity];
                keys = new Object[capacity];
                values = new long[capacity];
            }
        }

        final Block first = new Block(16);
        private Block last = first;
        int size;

        /** Makes room for one more record; the only step of a take that can run out of memory. */
        void reserve() {
            if (last.size == last.slots.length) {
                Block next = new Block(Math.min(last.slots.length * 2, LARGEST_BLOCK));
                last.next = next;
                last = next;
            }
        }

        /** Records a take, in the room {@link #reserve()} made; a zero is not recorded. */
        void record(int slot, Object key, long value) {
            if (value != 0L) {
                Block b = last;
                b.slots[b.size] = slot;
                b.keys[b.size] = key;
                b.values[b.size] = value;
                b.size++;
                size++;
            }
        }

        @SuppressWarnings("unchecked")
        <K> Map<K, Long> toMap() {
            // Sized for every record at the default load factor, so that it never resizes.
            Map<K, Long> out = new HashMap<>((int) Math.min(size * 4L / 3 + 1, 1 << 30));
            for (Block b = first; b != null; b = b.next) {
                for (int j = 0; j < b.size; j++) {
                    out.merge((K) b.keys[j], b.values[j], StripedCounterMap::sumOrNone);
                }
            }
            return out;
        }

        @Override
        void forEach(Parked.Sink sink) {
            for (Block b = first; b != null; b = b.next) {
                for (int j = 0; j < b.size; j++) {
                    if (b.slots[j] == PARKED) {
                        sink.accept(b.keys[j], b.values[j]);
                    }
                }
            }
        }

        /**
         * {@inheritDoc} The records keep no hash (the drain that took them did not compute one),
         * so this compares with the parked keys' {@code equals}: a parked key whose equals throws
         * makes {@code get} of another key throw until the next drain delivers it.
         */
        @Override
        long amountOf(Object key, int hash) {
            long sum = 0L;
            for (Block b = first; b != null; b = b.next) {
                for (int j = 0; j < b.size; j++) {
                    Object k = b.keys[j];
                    if (b.slots[j] == PARKED && (k == key || k.equals(key))) {
                        sum += b.values[j];
                    }
                }
            }
            return sum;
        }
    }

    /** Sets RETIRED on a slot that is still IDLE and not retired; returns whether it did. */
    private static boolean retireIdle(KeyTable t, int i) {
        while (true) {
            int s = t.state(i);
            if ((s & KeyTable.RETIRED) != 0 || (s & KeyTable.IDLE) == 0) {
                return false;
            }
            if (t.casState(i, s, s | KeyTable.RETIRED)) {
                return true;
            }
        }
    }

    private void shrinkIfSparse(KeyTable t) {
        if (t.capacity() > MIN_CAPACITY && held.get() * 8L < t.capacity()) {
            structure.lock();
            try {
                if (table == t) {
                    rebuild(t, held.get() + 1);
                }
            } finally {
                structure.unlock();
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <K> void put(Map<K, Long> out, Object key, long value) {
        if (value != 0L) {
            out.merge((K) key, value, StripedCounterMap::sumOrNone);
        }
    }

    /** {@inheritDoc} Thread-safe; reads each key in turn, so not a snapshot of one instant. */
    @Override
    public Map<K, Long> snapshot() {
        while (true) {
            KeyTable t = table;
            Map<K, Long> out = new HashMap<>();
            for (int i = 0; i <= t.mask; i++) {
                Object k = t.key(i);
                if (k != null && k != KeyTable.TOMBSTONE
                        && (t.state(i) & KeyTable.RETIRED) == 0) {
                    put(out, k, t.read(i));
                }
            }
            if (!t.moving) {
                deliver(parked, out);
                return out;
            }
            awaitRebuild();
        }
    }

    /**
     * {@inheritDoc} Thread-safe. The counter's adds are this map's adds to {@code key}, exactly
     * once, wait-free on x86-64 while the key stays in its slot: no look-up, one atomic add on
     * the key's stripes. Its first add, and the first after its key was removed or the table
     * rebuilt, finds the key again (inserting it, blocking, if the map does not hold it). Its
     * {@code get()} and {@code getAndReset()} are {@link #get(Object)} and
     * {@link #getAndReset(Object)} of the key: {@code get()} is not linearizable and, unlike
     * {@code StripedCounter}'s, keeps no lower bound.
     */
    @Override
    public Counter counter(K key) {
        return new KeyCounter(this, Objects.requireNonNull(key, "key"));
    }

    /**
     * The stripes of the slot that adds to {@code key} go to now, inflating it if it is not, and
     * inserting the key (or, past the cap, the overflow key) if the map does not hold it.
     */
    KeyStripes bindStripes(Object key) {
        Object k = key;
        int hash = KeyTable.spread(k);
        while (true) {
            KeyTable t = table;
            int i = t.find(k, hash);
            if (i < 0) {
                if (!admit(k, hash)) {
                    k = overflowKey;
                    hash = KeyTable.spread(k);
                }
                continue;
            }
            if ((t.state(i) & KeyTable.INFLATED) == 0) {
                KeyStripes won = t.installStripes(i, new KeyStripes(k, hash));
                if (t.setUnlessRetired(i, KeyTable.INFLATED) < 0) {
                    abandon(t, i, won);
                    continue;
                }
                return won;
            }
            KeyStripes s = t.stripes(i);
            if (s != null) {
                return s;   // a slot retired meanwhile marks them retired, which the add reads
            }
        }
    }

    /**
     * Drains stripes found retired after an add landed in them and adds what they held to their
     * key's current slot: the retiring thread drained them before, so this takes only adds that
     * landed after it, each once.
     */
    void moveResidue(KeyStripes retired) {
        Parked.Residue reserved = reserve();
        long residue = retired.drainStripes();
        if (residue != 0L) {
            // With the hash kept in the stripes: the key's hashCode may throw, and the residue
            // holds other threads' adds as well as this one's. Parked if it cannot move.
            moveOrPark(retired.key, retired.hash, residue, reserved);
        }
    }

    /** A record to park a residue in, made before the residue is taken; null if the heap is full. */
    private static Parked.Residue reserve() {
        try {
            return new Parked.Residue();
        } catch (OutOfMemoryError e) {
            return null;
        }
    }

    /**
     * Adds {@code amount}, already taken from where it lay, to {@code key}; if that throws (which
     * it does only before adding anything), parks it in {@code reserved} instead, and returns
     * normally. Only without a record (the heap could not spare one) does the failure propagate,
     * and the amount with it.
     */
    private void moveOrPark(Object key, int hash, long amount, Parked.Residue reserved) {
        try {
            addTo(key, hash, amount);
        } catch (Throwable e) {
            if (reserved == null) {
                throw e;
            }
            park(reserved.of(key, hash, amount));
        }
    }

    /** Pushes {@code p} onto the stack of parked amounts. Allocates nothing. */
    private void park(Parked p) {
        Parked top;
        do {
            top = parked;
            p.next = top;
        } while (!PARKED.compareAndSet(this, top, p));
    }

    /** Takes the whole stack of parked amounts, for the caller alone; null if empty. */
    private Parked unpark() {
        return parked == null ? null : (Parked) PARKED.getAndSet(this, null);
    }

    /** Pushes back a chain that {@link #unpark()} took. Allocates nothing. */
    private void repark(Parked chain) {
        if (chain == null) {
            return;
        }
        Parked last = chain;
        while (last.next != null) {
            last = last.next;
        }
        Parked top;
        do {
            top = parked;
            last.next = top;
        } while (!PARKED.compareAndSet(this, top, chain));
    }

    /**
     * Merges the amounts of the chain {@code popped} into a drain's or snapshot's result, leaving
     * no entry at zero. Under a cap, an amount goes to its own key only if the result has that key
     * already or holds fewer than maxKeys keys besides the overflow key, else to the overflow key,
     * as an add to a key the map no longer holds would: so the result still has at most maxKeys
     * keys besides the overflow key.
     */
    @SuppressWarnings("unchecked")
    private <K> void deliver(Parked popped, Map<K, Long> out) {
        if (popped == null) {
            return;
        }
        Map<Object, Long> into = (Map<Object, Long>) (Map<?, Long>) out;
        Parked.Sink sink = (key, amount) -> {
            Object k = key;
            if (overflowKey != null && !into.containsKey(k) && !k.equals(overflowKey)
                    && into.size() - (into.containsKey(overflowKey) ? 1 : 0) >= maxKeys) {
                k = overflowKey;
            }
            into.merge(k, amount, StripedCounterMap::sumOrNone);
        };
        for (Parked p = popped; p != null; p = p.next) {
            p.forEach(sink);
        }
    }

    /**
     * What is parked for {@code key}, whose spread hash is {@code hash}: one volatile read when
     * nothing is, else a walk of every parked record (parking happens only after a failure).
     */
    private long parkedAmount(Object key, int hash) {
        long sum = 0L;
        for (Parked p = parked; p != null; p = p.next) {
            sum += p.amountOf(key, hash);
        }
        return sum;
    }

    /** {@inheritDoc} Thread-safe; a count kept beside the table, exact when no update runs. */
    @Override
    public int size() {
        return held.get();
    }

    /** The number of cache entries holding stripes; for tests. */
    int cachedKeys() {
        int n = 0;
        for (int h = 0; h < HOT_SLOTS; h++) {
            n += HOT.getAcquire(hot, h) != null ? 1 : 0;
        }
        return n;
    }

    /** The current table; for tests. */
    Object currentTable() {
        return table;
    }

    /** The capacity of the current table; for tests. */
    int capacity() {
        return table.capacity();
    }
}
