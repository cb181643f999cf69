package dev.tally.counter.micrometer;

import dev.tally.counter.Counter;
import dev.tally.counter.CounterMap;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

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
 * meter id already registered (the name and exactly these tags, after the registry's filters,
 * such as common tags) is refused: Micrometer would otherwise go on reporting the first counter
 * and ignore the second. The same name with fewer, more or other tags is another meter.
 * Registration is thread-safe; that check is not atomic with a registration of the same id on
 * another thread. A counter map also claims its name, fixed tags and key tag in the registry
 * until it is garbage collected (see {@link #counterMap counterMap}).
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
     *     this name and exactly these tags is already registered
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
        // The function holds the counter strongly; the weak reference Micrometer keeps is then
        // never cleared while the meter is registered.
        registerNew(registry, name, tags, () -> FunctionCounter.builder(name, exported,
                ignored -> exported.exported()).tags(tags).register(registry));
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
     * @throws IllegalArgumentException if a meter with this name and exactly these tags is
     *     already registered
     */
    public static Gauge gauge(MeterRegistry registry, String name, Iterable<Tag> tags, Counter counter) {
        Objects.requireNonNull(counter, "counter");
        return registerNew(registry, name, tags, () -> Gauge.builder(name, counter,
                c -> (double) c.get()).tags(tags).strongReference(true).register(registry));
    }

    /**
     * Exports {@code map} as one {@code FunctionCounter} series per key, named {@code name}, the
     * key ({@code String.valueOf}) under the tag {@code keyTag}, each series everything ever added
     * to its key (keys with the same text share one series, their sum); returns the
     * {@link MonotoneCounterMap} to add to and drain from now on. Keys the map already holds get
     * their series at their first add or drain through the result. A meter someone else registers
     * later under a series' id is left alone: the series stays out of the registry (logged, and
     * tried again by drains) while that meter holds the id. From now on, add to
     * {@code map} and drain it only through the result. The result claims {@code name},
     * {@code tags} and {@code keyTag} in {@code registry} until it is garbage collected: a second
     * map with the same three is refused while the first is reachable, even before either has a
     * series. Thread-safe; the check against registered meters below is not atomic with a
     * registration of the same ids on another thread (the claim is).
     *
     * @param <K> the type of the keys
     * @param registry where to register the meters
     * @param name the meters' name, in Micrometer's dotted form
     * @param tags the tags every series carries
     * @param keyTag the tag that holds the key
     * @param map a thread-safe counter map, for example a {@code StripedCounterMap}
     * @return the map to add to and drain
     * @throws IllegalArgumentException if {@code keyTag} is one of {@code tags}, or a meter is
     *     registered whose id a series of the result could have: named {@code name}, with exactly
     *     {@code tags} and {@code keyTag}. It compares the ids as registered, so it does not see
     *     such a meter through a filter that changes ids (common tags, for one); another map with
     *     other tags, or another key tag, is accepted. Also if a map made by this method for
     *     {@code registry} with the same name, tags (in any order) and key tag is still reachable
     */
    public static <K> MonotoneCounterMap<K> counterMap(MeterRegistry registry, String name,
            Iterable<Tag> tags, String keyTag, CounterMap<K> map) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tags, "tags");
        Objects.requireNonNull(map, "map");
        Objects.requireNonNull(keyTag, "keyTag");
        for (Tag tag : tags) {
            if (tag.getKey().equals(keyTag)) {
                throw new IllegalArgumentException("the key tag '" + keyTag + "' is also one of the"
                        + " tags " + tags + " of '" + name + "'");
            }
        }
        Tags fixed = Tags.of(tags);
        for (Meter meter : registry.find(name).tags(fixed).tagKeys(keyTag).meters()) {
            List<Tag> others = new ArrayList<>(meter.getId().getTags());
            others.removeIf(tag -> tag.getKey().equals(keyTag));
            if (Tags.of(others).equals(fixed)) {
                throw new IllegalArgumentException("a meter named '" + name + "' with the tags " + fixed
                        + " and the key tag '" + keyTag + "' is already registered (" + meter.getId()
                        + "): this map's series would have the ids of its series");
            }
        }
        MonotoneCounterMap<K> exported = new MonotoneCounterMap<>(registry, name, tags, keyTag, map);
        RemovalFanout.watch(registry, exported, new RemovalFanout.Claim(name, fixed, keyTag));
        return exported;
    }

    /**
     * Runs {@code registration} and returns its meter if the registry made it; refuses, with
     * nothing registered, if the registry returned a meter it held already (Micrometer returns
     * the registered meter for an id it has, and ignores the new one). That is exactly its own
     * test of the id, after its filters: a meter with more tags, or fewer, is another one.
     */
    static <M extends Meter> M registerNew(MeterRegistry registry, String name, Iterable<Tag> tags,
            Supplier<M> registration) {
        List<Meter> before = registry.getMeters();
        M meter = registration.get();
        for (Meter registered : before) {
            if (registered == meter) {
                throw new IllegalArgumentException("a meter named '" + name + "' with tags " + tags
                        + " is already registered (" + meter.getId() + "): Micrometer would keep"
                        + " reporting that one");
            }
        }
        return meter;
    }
}
