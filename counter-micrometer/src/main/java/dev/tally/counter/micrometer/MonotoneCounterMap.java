package dev.tally.counter.micrometer;

import dev.tally.counter.Counter;
import dev.tally.counter.CounterMap;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.StampedLock;

/**
 * A {@link CounterMap} that the program drains for its own reports while Micrometer exports, for
 * each key, everything ever added to it: one {@code FunctionCounter} series per key, the key under
 * a tag the caller names (keys that print alike share one series, their sum). Made by
 * {@link TallyMeters#counterMap TallyMeters.counterMap}, around a thread-safe map it then owns.
 *
 * <pre>{@code
 * MeterRegistry registry = new SimpleMeterRegistry();
 * MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "http.hits", Tags.empty(),
 *         "path", new StripedCounterMap<>());
 * hits.increment("/home");
 * hits.add("/search", 2);
 * assert hits.drain().equals(java.util.Map.of("/home", 1L, "/search", 2L));   // the program's report
 * hits.increment("/home");
 * assert registry.get("http.hits").tag("path", "/home").functionCounter().count() == 2;
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>No series ever decreases or reads below zero, however drains, adds and scrapes
 *       interleave. A scrape that overlaps a drain reports the series' last exported total,
 *       never a reading that the drain has half done.</li>
 *   <li>Adds refuse a negative amount with {@link IllegalArgumentException} naming it, and add
 *       nothing; otherwise they are the wrapped map's, with its thread safety and progress, plus
 *       a look-up of the key's series (a handle from {@link #counter(Object)} skips it).</li>
 *   <li>Series: one per key text ({@code String.valueOf}, the value of the key tag). Keys with
 *       the same text ({@code 1} and {@code 1L}, or two objects that print alike) make one
 *       series id in the registry, so they share one series: everything ever added to all of
 *       them. A key joins its text's series, registering it if need be, when an add through this
 *       map finds the key held by the wrapped map (that first add waits for a drain in progress),
 *       or a drain takes from it; so the map's cap bounds the series, and its overflow key is a
 *       series of its own, registered by the first drain that takes from it (its adds arrive
 *       under other keys). A key that two drains in a row take nothing from, and no
 *       {@code getAndReset} of it either (the rule by which {@code StripedCounterMap} removes a
 *       key), leaves its series, whose total keeps what was added to it; the meter is removed
 *       from the registry once every key of its text has left. Added to again, the key starts a
 *       new series.</li>
 *   <li>A meter removed by someone else ({@code registry.remove}, {@code registry.clear()}) is
 *       registered again by the next add through this map to one of its keys, or drain or
 *       {@code getAndReset} that takes from one, and goes on from the total it had.</li>
 *   <li>{@link #drain()} and {@link #getAndReset(Object)}: the wrapped map's, exactly-once;
 *       blocking, one at a time. One that throws after the wrapped map's drain (registering a
 *       series can) puts what it took back into the map, and out of every series that had
 *       counted it, so the next drain returns it. {@code get}, {@code snapshot} and
 *       {@code size}: the wrapped map's.</li>
 *   <li>Past {@link Long#MAX_VALUE} a series' total is exported as an unsigned number, as
 *       {@link MonotoneCounter} exports its total, up to 2<sup>64</sup>&minus;1; past that the
 *       series stays at its highest (it never falls), unlike {@code MonotoneCounter}'s.</li>
 * </ul>
 *
 * <p>Once exported, the wrapped map must be added to only through this object (or handles from
 * it) and drained only through it. The registry holds the map through its series while it has
 * one, and weakly otherwise (it tells the map of removed meters through a listener, which
 * Micrometer keeps for good, an empty one once the map is collected).
 *
 * @param <K> the type of the keys
 */
public final class MonotoneCounterMap<K> implements CounterMap<K> {

    /*
     * Implementation overview.
     *
     * Keys with one text make one meter id, so the export is by text: a TextSeries holds the keys
     * of its text (its members), drained, what this object's drains have taken from them, and its
     * meter, whose reading is drained + the sum of map.get(member) over its members. A key joins
     * its text's series (registering the meter if the text has none) when an add finds the key
     * held by the map, or a drain takes from it; it leaves after two idle drains, and the series
     * leaves the registry with its last key. drained stays with the series when a key leaves: the
     * series goes on counting what its other keys had.
     *
     * A drain takes from the map first and adds to drained after, so between the two a reading
     * would fall by what was taken. Drains therefore run inside takes' write lock, and a scrape
     * reads its series under an optimistic read of it: if a drain ran during the read, the scrape
     * reports the series' highest exported total instead (a value it really reached, so at most
     * the true total), without waiting. A validated reading is between the totals at its start and
     * its end (no drain moved anything, and totals only rise), so it is never below an earlier
     * reading; the compare-and-set maximum keeps two scrapers from exporting each other's older
     * readings. A key leaves as idle only if it reads 0 after it is marked removed, and an add
     * reads the mark after adding, so an add that races the leaving either keeps the key in or
     * joins it again; the maximum covers a wrapped map whose reads and adds are weaker than that.
     *
     * All registrations and removals run under drainLock, and never inside a ConcurrentHashMap
     * compute: Micrometer calls its removal listeners under its own lock, the one registration
     * takes, so the listener (onRegistryRemoval) takes no lock of ours; it marks the series
     * unregistered, and the next add to one of its keys, or drain that takes from one, registers
     * it again, the same object, so it goes on from its total. The registry keeps its listeners
     * for good (Micrometer 1.17 cannot remove one): the listener holds this map weakly, so a map
     * whose series have all left the registry is not kept alive by it; what stays is the listener
     * itself and an empty weak reference. byMeterId finds a series from the removed meter's id as
     * the registry has it (after its filters); our own removal of an idle series takes it out of
     * byMeterId first, so the listener ignores it. A user's removal in the moment between a
     * registration and its byMeterId entry goes unseen.
     */

    private final CounterMap<K> map;
    private final MeterRegistry registry;
    private final String name;
    private final Tags tags;
    private final String keyTag;
    private final ConcurrentHashMap<K, TextSeries.Member<K>> members = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, TextSeries<K>> texts = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Meter.Id, TextSeries<K>> byMeterId = new ConcurrentHashMap<>();
    private final ReentrantLock drainLock = new ReentrantLock();
    private final StampedLock takes = new StampedLock();

    MonotoneCounterMap(MeterRegistry registry, String name, Iterable<Tag> tags, String keyTag,
            CounterMap<K> map) {
        this.map = map;
        this.registry = registry;
        this.name = name;
        this.tags = Tags.of(tags);
        this.keyTag = keyTag;
    }

    /** Has the registry tell {@code exported} when one of its series is removed, weakly held. */
    static void watchRemovals(MonotoneCounterMap<?> exported) {
        WeakReference<MonotoneCounterMap<?>> weak = new WeakReference<>(exported);
        exported.registry.config().onMeterRemoved(meter -> {
            MonotoneCounterMap<?> live = weak.get();
            if (live != null) {
                live.onRegistryRemoval(meter);
            }
        });
    }

    /** Runs under the registry's lock: takes none of ours. */
    private void onRegistryRemoval(Meter meter) {
        TextSeries<K> s = byMeterId.get(meter.getId());
        if (s != null) {
            s.unregistered = true;
        }
    }

    /**
     * Adds {@code delta}, which must be zero or more, to the value of {@code key}. Thread-safe,
     * with the wrapped map's progress guarantee, plus a look-up of the key's series.
     *
     * @throws IllegalArgumentException if {@code delta} is negative; nothing is added
     */
    @Override
    public void add(K key, long delta) {
        requireNotNegative(key, delta);
        map.add(key, delta);
        TextSeries.Member<K> m = members.get(key);
        if (m == null || m.removed || m.series.unregistered) {
            discover(key);
        }
    }

    /** Joins the key to its series (registered) if the wrapped map holds it; returns it, or null. */
    TextSeries.Member<K> discover(K key) {
        TextSeries.Member<K> found = members.get(key);
        if (found != null ? !found.removed && !found.series.unregistered : map.get(key) == 0L) {
            return found;   // not held, for example past the cap: its adds went to the overflow key
        }
        drainLock.lock();   // so that a drain's removal and this registration do not interleave
        try {
            found = members.get(key);
            return found != null || map.get(key) != 0L ? memberOf(key) : null;
        } finally {
            drainLock.unlock();
        }
    }

    /**
     * The key's place in its series, joined and registered if need be; under the drain lock. What
     * it may allocate or register comes before anything it changes, so one that throws leaves the
     * counts as they were (at worst a series without keys, which the next drain removes).
     */
    private TextSeries.Member<K> memberOf(K key) {
        TextSeries.Member<K> m = members.get(key);
        if (m != null) {
            register(m.series);
            return m;
        }
        String text = String.valueOf(key);
        TextSeries<K> s = texts.get(text);
        if (s == null) {
            s = new TextSeries<>(text);
            texts.put(text, s);
        }
        register(s);
        m = new TextSeries.Member<>(key, s);
        List<TextSeries.Member<K>> joined = new ArrayList<>(s.members.size() + 1);
        joined.addAll(s.members);
        joined.add(m);
        List<TextSeries.Member<K>> published = List.copyOf(joined);
        members.put(key, m);   // before the series lists it: a key is never listed twice
        s.members = published;
        return m;
    }

    /** Registers the series' meter if it is out of the registry; under the drain lock. */
    private void register(TextSeries<K> s) {
        if (!s.unregistered) {
            return;
        }
        // Cleared first: the listener may set it again for this very registration's meter.
        s.unregistered = false;
        FunctionCounter meter;
        try {
            meter = FunctionCounter.builder(name, s, ignored -> exported(s))
                    .tags(tags.and(keyTag, s.text)).register(registry);
        } catch (RuntimeException | Error e) {
            s.unregistered = true;
            throw e;
        }
        FunctionCounter before = s.meter;
        s.meter = meter;
        if (before != null && !before.getId().equals(meter.getId())) {
            byMeterId.remove(before.getId(), s);
        }
        byMeterId.put(meter.getId(), s);
    }

    private double exported(TextSeries<K> s) {
        long stamp = takes.tryOptimisticRead();
        if (stamp != 0L) {
            long total = s.drained;
            List<TextSeries.Member<K>> keys = s.members;
            for (int i = 0; i < keys.size(); i++) {
                total += map.get(keys.get(i).key);
            }
            // The map's loads must complete before the stamp is validated (validate fences too).
            VarHandle.acquireFence();
            if (takes.validate(stamp)) {
                return Unsigned.toDouble(s.raise(total));
            }
        }
        return Unsigned.toDouble(s.lastExported());
    }

    /**
     * {@inheritDoc} The wrapped map's read. Thread-safe.
     */
    @Override
    public long get(K key) {
        return map.get(key);
    }

    /**
     * {@inheritDoc} Thread-safe and exactly-once; blocking, one drain at a time. The key's
     * exported series is unchanged (registered again if it was removed from the registry).
     */
    @Override
    public long getAndReset(K key) {
        drainLock.lock();
        try {
            long stamp = takes.writeLock();
            try {
                long taken = map.getAndReset(key);
                if (taken != 0L) {
                    TextSeries.Member<K> m;
                    try {
                        m = memberOf(key);
                    } catch (RuntimeException | Error e) {
                        map.add(key, taken);   // not accounted: back into the map, not lost
                        throw e;
                    }
                    m.series.drained += taken;
                    m.idleDrains = 0;   // the map still holds the key: so does its series
                }
                return taken;
            } finally {
                takes.unlockWrite(stamp);
            }
        } finally {
            drainLock.unlock();
        }
    }

    /**
     * {@inheritDoc} Thread-safe and exactly-once; blocking, one drain at a time. No series'
     * exported total changes; the series of keys it takes from are registered again if they were
     * removed from the registry; keys that two drains in a row took nothing from leave their
     * series, and a series without keys leaves the registry.
     */
    @Override
    public Map<K, Long> drain() {
        drainLock.lock();
        try {
            Map<K, Long> taken;
            long stamp = takes.writeLock();
            try {
                taken = map.drain();
                Map<TextSeries<K>, Long> accounted = new HashMap<>();
                try {
                    for (Map.Entry<K, Long> e : taken.entrySet()) {
                        TextSeries.Member<K> m = memberOf(e.getKey());
                        // First: it may allocate, and throw.
                        accounted.merge(m.series, e.getValue(), Long::sum);
                        m.series.drained += e.getValue();
                        m.idleDrains = 0;
                    }
                } catch (RuntimeException | Error e) {
                    // An error after the map's drain committed (registering a series can throw),
                    // so the caller gets no result: every amount goes back into the map, and out
                    // of the series that had counted it, under the write lock, so that no scrape
                    // sees a total move and the next drain returns it.
                    accounted.forEach((series, amount) -> series.drained -= amount);
                    taken.forEach(map::add);
                    throw e;
                }
            } finally {
                takes.unlockWrite(stamp);
            }
            for (TextSeries<K> s : texts.values()) {
                removeIdle(s, taken);
            }
            return taken;
        } finally {
            drainLock.unlock();
        }
    }

    /** Takes the idle keys out of the series, and the series out of the registry if none is left. */
    private void removeIdle(TextSeries<K> s, Map<K, Long> taken) {
        List<TextSeries.Member<K>> all = s.members;
        int leaving = 0;
        for (TextSeries.Member<K> m : all) {
            if (!taken.containsKey(m.key) && ++m.idleDrains >= 2) {
                // Marked before the key is read, as an add reads the mark after adding: either
                // this read sees the add, and the key stays, or the add sees the mark and joins
                // the key again once this drain is done (both are volatile accesses).
                m.removed = true;
                if (map.get(m.key) == 0L) {
                    leaving++;
                } else {
                    m.removed = false;
                }
            }
        }
        if (leaving > 0) {
            List<TextSeries.Member<K>> kept = new ArrayList<>(all.size() - leaving);
            for (TextSeries.Member<K> m : all) {
                if (m.removed) {
                    members.remove(m.key, m);
                } else {
                    kept.add(m);
                }
            }
            s.members = List.copyOf(kept);
        }
        if (s.members.isEmpty()) {
            texts.remove(s.text, s);
            FunctionCounter meter = s.meter;
            if (meter != null) {
                byMeterId.remove(meter.getId(), s);   // first: the listener then ignores our removal
                if (!s.unregistered) {
                    s.unregistered = true;
                    registry.remove(meter);
                }
            }
        }
    }

    /** {@inheritDoc} The wrapped map's. Thread-safe. */
    @Override
    public Map<K, Long> snapshot() {
        return map.snapshot();
    }

    /**
     * {@inheritDoc} Its adds refuse a negative amount, as {@link #add(Object, long)} does, and
     * register the key's series when they find it missing. Thread-safe.
     */
    @Override
    public Counter counter(K key) {
        Counter handle = map.counter(key);
        return new Counter() {
            private volatile TextSeries.Member<K> seen = discover(key);

            @Override
            public void add(long delta) {
                requireNotNegative(key, delta);
                handle.add(delta);
                TextSeries.Member<K> m = seen;
                if (m == null || m.removed || m.series.unregistered) {
                    seen = discover(key);
                }
            }

            @Override
            public long get() {
                return MonotoneCounterMap.this.get(key);
            }

            @Override
            public long getAndReset() {
                return MonotoneCounterMap.this.getAndReset(key);
            }
        };
    }

    /** {@inheritDoc} The wrapped map's. Thread-safe. */
    @Override
    public int size() {
        return map.size();
    }

    /** The number of series the map holds now (one per text); for tests. */
    int seriesCount() {
        return texts.size();
    }

    private void requireNotNegative(K key, long delta) {
        if (delta < 0L) {
            throw new IllegalArgumentException("counter map '" + name + "' is exported as totals that"
                    + " must never fall: add(" + key + ", " + delta + ") refused, nothing added");
        }
    }

    /** Returns the meter name and the wrapped map. */
    @Override
    public String toString() {
        return name + " over " + map;
    }
}
