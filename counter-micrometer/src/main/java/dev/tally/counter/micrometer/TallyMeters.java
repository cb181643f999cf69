package dev.tally.counter.micrometer;

import dev.tally.counter.Counter;
import dev.tally.counter.CounterMap;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import java.util.Objects;

/**
 * Registers tally counters with a Micrometer {@link MeterRegistry}: a count of events as a
 * {@code FunctionCounter} that never falls, however often the program drains it, a count that
 * goes up and down as a {@code Gauge}, and a {@link CounterMap} as one never-falling series per
 * key.
 *
 * <pre>{@code
 * MeterRegistry registry = new SimpleMeterRegistry();            // or your PrometheusMeterRegistry
 * MonotoneCounter served = TallyMeters.counter(registry, "requests.served", Tags.of("shop", "eu"),
 *         new StripedCounter());
 * Counter inFlight = new StripedCounter();
 * TallyMeters.gauge(registry, "requests.in.flight", Tags.empty(), inFlight);
 * inFlight.increment();                                          // a request starts
 * served.increment();
 * inFlight.decrement();                                          // and ends
 * assert served.getAndReset() == 1;                              // the program's own report
 * assert registry.get("requests.served").functionCounter().count() == 1;
 * assert registry.get("requests.in.flight").gauge().value() == 0;
 * }</pre>
 *
 * <p>The registry keeps each exported counter reachable until its meter is removed (Micrometer's
 * own function meters keep only a weak reference, and report {@code NaN} once it is cleared). A
 * name and tags already registered are refused: Micrometer would otherwise go on reporting the
 * first counter and ignore the second. Registration is thread-safe; that check is not atomic with
 * a registration of the same name on another thread.
 */
public final class TallyMeters {

    private TallyMeters() {
    }

    /**
     * Exports {@code counter} as a {@code FunctionCounter} named {@code name} whose value is
     * everything ever added to it, and returns the {@link MonotoneCounter} to add to and drain
     * from now on: its drains return what was added since the last one and leave the exported
     * total alone. From now on, add to {@code counter} only through the result (or through
     * handles of its own, with amounts of zero or more), and never drain it directly. The
     * exported value starts at {@code counter}'s value now. Thread-safe.
     *
     * @param registry where to register the meter
     * @param name the meter's name, in Micrometer's dotted form
     * @param tags the meter's tags
     * @param counter a thread-safe counter, for example a {@code StripedCounter}
     * @return the counter to add to and drain
     * @throws IllegalArgumentException if {@code counter} holds a negative value, or a meter with
     *     this name and these tags is already registered
     */
    public static MonotoneCounter counter(MeterRegistry registry, String name, Iterable<Tag> tags,
            Counter counter) {
        Objects.requireNonNull(counter, "counter");
        long start = counter.get();
        if (start < 0L) {
            throw new IllegalArgumentException("counter '" + name + "' holds " + start
                    + ": an exported total cannot start below zero");
        }
        MonotoneCounter exported = new MonotoneCounter(name, counter);
        requireNew(registry, name, tags);
        // The function holds the counter strongly; the weak reference Micrometer keeps is then
        // never cleared while the meter is registered.
        FunctionCounter.builder(name, exported, ignored -> exported.exported()).tags(tags)
                .register(registry);
        return exported;
    }

    /**
     * Exports {@code counter} as a {@code Gauge} named {@code name} whose value is
     * {@code counter.get()} at each read, for a count that goes up and down (requests in flight,
     * open connections). Do not drain a counter exported this way: a drain of a striped counter
     * that overlaps an increment and its decrement can leave it below zero (see
     * {@code StripedCounter}). Thread-safe.
     *
     * @param registry where to register the meter
     * @param name the meter's name, in Micrometer's dotted form
     * @param tags the meter's tags
     * @param counter the counter to read
     * @return the registered gauge
     * @throws IllegalArgumentException if a meter with this name and these tags is already
     *     registered
     */
    public static Gauge gauge(MeterRegistry registry, String name, Iterable<Tag> tags, Counter counter) {
        Objects.requireNonNull(counter, "counter");
        requireNew(registry, name, tags);
        return Gauge.builder(name, counter, c -> (double) c.get()).tags(tags).strongReference(true)
                .register(registry);
    }

    /**
     * Exports {@code map} as one {@code FunctionCounter} series per key, named {@code name}, the
     * key ({@code String.valueOf}) under the tag {@code keyTag}, each series everything ever added
     * to its key (keys with the same text share one series, their sum); returns the
     * {@link MonotoneCounterMap} to add to and drain from now on. Keys the map already holds get
     * their series at their first add or drain through the result. From now on, add to
     * {@code map} and drain it only through the result. Thread-safe.
     *
     * @param <K> the type of the keys
     * @param registry where to register the meters
     * @param name the meters' name, in Micrometer's dotted form
     * @param tags the tags every series carries
     * @param keyTag the tag that holds the key
     * @param map a thread-safe counter map, for example a {@code StripedCounterMap}
     * @return the map to add to and drain
     * @throws IllegalArgumentException if {@code keyTag} is one of {@code tags}, or meters named
     *     {@code name} with the tag {@code keyTag} are already registered
     */
    public static <K> MonotoneCounterMap<K> counterMap(MeterRegistry registry, String name,
            Iterable<Tag> tags, String keyTag, CounterMap<K> map) {
        Objects.requireNonNull(map, "map");
        Objects.requireNonNull(keyTag, "keyTag");
        for (Tag tag : tags) {
            if (tag.getKey().equals(keyTag)) {
                throw new IllegalArgumentException("the key tag '" + keyTag + "' is also one of the"
                        + " tags " + tags + " of '" + name + "'");
            }
        }
        if (registry.find(name).tagKeys(keyTag).meter() != null) {
            throw new IllegalArgumentException("meters named '" + name + "' with the key tag '" + keyTag
                    + "' are already registered, by another map: its series and this one's would mix");
        }
        MonotoneCounterMap<K> exported = new MonotoneCounterMap<>(registry, name, tags, keyTag, map);
        MonotoneCounterMap.watchRemovals(exported);
        return exported;
    }

    /** Refuses a name and tags that a registered meter already carries. */
    static void requireNew(MeterRegistry registry, String name, Iterable<Tag> tags) {
        if (registry.find(name).tags(tags).meter() != null) {
            throw new IllegalArgumentException("a meter named '" + name + "' with tags " + tags
                    + " is already registered: Micrometer would keep reporting that one");
        }
    }
}
