package dev.tally.counter.micrometer;

import dev.tally.counter.Counter;
import dev.tally.counter.CounterMap;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.lang.invoke.VarHandle;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.StampedLock;

/**
 * A {@link CounterMap} that the program drains for its own reports while Micrometer exports, for
 * each key, everything ever added to it: one {@code FunctionCounter} series per key, the key under
 * a tag the caller names. Made by {@link TallyMeters#counterMap TallyMeters.counterMap}, around a
 * thread-safe map it then owns.
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
 *   <li>No key's series ever decreases or reads below zero, however drains, adds and scrapes
 *       interleave. A scrape that overlaps a drain reports the key's last exported total, never
 *       a reading that the drain has half done.</li>
 *   <li>Adds refuse a negative amount with {@link IllegalArgumentException} naming it, and add
 *       nothing; otherwise they are the wrapped map's, with its thread safety and progress, plus
 *       a look-up of the key's series (a handle from {@link #counter(Object)} skips it).</li>
 *   <li>Series: a key's series is registered when an add through this map finds the key held by
 *       the wrapped map (that first add waits for a drain in progress), or a drain takes from it;
 *       so the map's cap bounds them, and its overflow key is a series of its own, registered by
 *       the first drain that takes from it (its adds arrive under other keys). A key that two
 *       drains in a row take nothing from, and no {@code getAndReset} of it either (the rule by
 *       which {@code StripedCounterMap} removes a key), has its meter removed from the registry;
 *       added to again, it starts a new series. Two keys whose {@code String.valueOf} is the
 *       same share one meter: give keys distinct texts.</li>
 *   <li>{@link #drain()} and {@link #getAndReset(Object)}: the wrapped map's, exactly-once;
 *       blocking, one at a time. One that throws after the wrapped map's drain (registering a
 *       series can) puts what it took back into the map, so the next drain returns it. {@code get}, {@code snapshot} and {@code size}: the wrapped
 *       map's.</li>
 *   <li>Past {@link Long#MAX_VALUE} a key's total is exported as an unsigned number, as
 *       {@link MonotoneCounter} exports its total, up to 2<sup>64</sup>&minus;1; past that the
 *       key's series stays at its highest (it never falls), unlike {@code MonotoneCounter}'s.</li>
 * </ul>
 *
 * <p>Once exported, the wrapped map must be added to only through this object (or handles from
 * it) and drained only through it.
 *
 * @param <K> the type of the keys
 */
public final class MonotoneCounterMap<K> implements CounterMap<K> {

    /*
     * Implementation overview.
     *
     * A key's exported total is drained + map.get(key), where drained is what this object's
     * drains have taken from the key. A drain takes from the map first and adds to drained after,
     * so between the two a reading would fall by what was taken. Drains therefore run inside
     * takes' write lock, and a scrape reads a key under an optimistic read of it: if a drain ran
     * during the read, the scrape reports the key's highest exported total instead (a value the
     * key really reached, so at most the true total), without waiting. A validated reading is
     * between the totals at its start and its end (no drain moved anything, and totals only
     * rise), so it is never below an earlier reading; the compare-and-set maximum keeps two
     * scrapers from exporting each other's older readings.
     */

    private final CounterMap<K> map;
    private final MeterRegistry registry;
    private final String name;
    private final Tags tags;
    private final String keyTag;
    private final ConcurrentHashMap<K, KeySeries<K>> series = new ConcurrentHashMap<>();
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
        if (!series.containsKey(key)) {
            discover(key);
        }
    }

    /** Registers the key's series if the wrapped map holds the key; returns it, or null. */
    KeySeries<K> discover(K key) {
        KeySeries<K> found = series.get(key);
        if (found != null || map.get(key) == 0L) {
            return found;   // not held, for example past the cap: its adds went to the overflow key
        }
        drainLock.lock();   // so that a drain's removal and this registration do not interleave
        try {
            return map.get(key) != 0L ? seriesOf(key) : null;
        } finally {
            drainLock.unlock();
        }
    }

    /** The key's series, registered if it has none; under the drain lock. */
    private KeySeries<K> seriesOf(K key) {
        return series.computeIfAbsent(key, k -> {
            KeySeries<K> s = new KeySeries<>(k);
            s.meter = FunctionCounter.builder(name, s, ignored -> exported(s))
                    .tags(tags.and(keyTag, String.valueOf(k))).register(registry);
            return s;
        });
    }

    private double exported(KeySeries<K> s) {
        long stamp = takes.tryOptimisticRead();
        if (stamp != 0L) {
            long total = s.drained + map.get(s.key);
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
     * exported total is unchanged.
     */
    @Override
    public long getAndReset(K key) {
        drainLock.lock();
        try {
            long stamp = takes.writeLock();
            try {
                long taken = map.getAndReset(key);
                if (taken != 0L) {
                    try {
                        KeySeries<K> s = seriesOf(key);
                        s.drained += taken;
                        s.idleDrains = 0;   // the map still holds the key: so does the registry
                    } catch (RuntimeException | Error e) {
                        map.add(key, taken);   // not accounted: back into the map, not lost
                        throw e;
                    }
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
     * {@inheritDoc} Thread-safe and exactly-once; blocking, one drain at a time. No key's
     * exported total changes; the series of keys that two drains in a row took nothing from are
     * removed from the registry.
     */
    @Override
    public Map<K, Long> drain() {
        drainLock.lock();
        try {
            Map<K, Long> taken;
            long stamp = takes.writeLock();
            try {
                taken = map.drain();
                Map<KeySeries<K>, Long> accounted = new HashMap<>();
                try {
                    for (Map.Entry<K, Long> e : taken.entrySet()) {
                        KeySeries<K> s = seriesOf(e.getKey());
                        accounted.put(s, e.getValue());   // first: it may allocate, and throw
                        s.drained += e.getValue();
                        s.idleDrains = 0;
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
            for (KeySeries<K> s : series.values()) {
                if (!taken.containsKey(s.key) && ++s.idleDrains >= 2) {
                    series.remove(s.key);
                    s.removed = true;
                    registry.remove(s.meter);
                }
            }
            return taken;
        } finally {
            drainLock.unlock();
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
            private volatile KeySeries<K> seen = discover(key);

            @Override
            public void add(long delta) {
                requireNotNegative(key, delta);
                handle.add(delta);
                KeySeries<K> s = seen;
                if (s == null || s.removed) {
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

    /** The number of series registered now; for tests. */
    int seriesCount() {
        return series.size();
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
