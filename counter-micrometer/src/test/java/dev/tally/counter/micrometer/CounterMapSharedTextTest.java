package dev.tally.counter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.counter.impl.StripedCounterMap;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Distinct keys with the same text ({@code String.valueOf}) have one series id in the registry:
 * {@link MonotoneCounterMap} exports one series for them, the sum of their totals, which stays
 * while any of them counts. The scrape race over keys that share texts, some of them leaving
 * their series and joining again all the time; its negative control, kept here: one plain
 * {@code FunctionCounter} per key, whose shared ids lose a key's adds, must miss the sums.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
final class CounterMapSharedTextTest {

    /** Texts "0" to "24", each of an Integer key and a Long key. */
    private static final int TEXTS = 25;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    private Map<String, Double> scrape() {
        return PrometheusSamples.parse(registry.scrape());
    }

    private static String series(String text) {
        return "http_hits_total{path=\"" + text + "\",shop=\"eu\"}";
    }

    private MonotoneCounterMap<Object> hits(StripedCounterMap<Object> map) {
        return TallyMeters.counterMap(registry, "http.hits", Tags.of("shop", "eu"), "path", map);
    }

    /** Two keys, equal to neither, that print the same. */
    private record Page(String path, int version) {
        @Override
        public String toString() {
            return path;
        }
    }

    @Test
    void keysWithTheSameTextExportOneSeriesThatIsTheSumOfWhatWasAddedToThem() {
        MonotoneCounterMap<Object> hits = hits(new StripedCounterMap<>());
        hits.add(1, 3);
        hits.add(1L, 4);
        hits.add(new Page("/home", 1), 5);
        hits.counter(new Page("/home", 2)).add(6);
        assertThat(scrape()).containsEntry(series("1"), 7.0).containsEntry(series("/home"), 11.0);
        assertThat(hits.drain()).isEqualTo(Map.of(1, 3L, 1L, 4L, new Page("/home", 1), 5L,
                new Page("/home", 2), 6L));
        hits.add(1L, 2);
        assertThat(hits.getAndReset(1)).isZero();
        assertThat(scrape()).containsEntry(series("1"), 9.0).containsEntry(series("/home"), 11.0);
        assertThat(hits.seriesCount()).isEqualTo(2);
    }

    @Test
    void theSharedSeriesStaysWhileAnyOfItsKeysCountsAndLeavesWhenAllAreIdle() {
        MonotoneCounterMap<Object> hits = hits(new StripedCounterMap<>());
        hits.add(1, 3);
        hits.add(1L, 4);
        hits.drain();
        hits.add(1L, 1);
        hits.drain();                      // 1 took nothing once
        hits.add(1L, 1);
        hits.drain();                      // and twice: 1 is idle, 1L still counts
        hits.add(1L, 1);
        assertThat(scrape()).as("everything added to 1 and 1L").containsEntry(series("1"), 10.0);
        hits.drain();
        hits.drain();
        hits.drain();                      // 1L idle twice too
        assertThat(scrape()).doesNotContainKey(series("1"));
        assertThat(hits.seriesCount()).isZero();
        hits.add(1, 5);
        assertThat(scrape()).as("a new series").containsEntry(series("1"), 5.0);
    }

    @Test
    void aDrainThatThrowsTakesBackFromTheSharedSeriesExactlyWhatItHadCounted() {
        AtomicBoolean fail = new AtomicBoolean(true);
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public MeterFilterReply accept(Meter.Id id) {
                if ("other".equals(id.getTag("path")) && fail.getAndSet(false)) {
                    throw new OutOfMemoryError("thrown by the test while registering a series");
                }
                return MeterFilterReply.NEUTRAL;
            }
        });
        MonotoneCounterMap<Object> hits = hits(new StripedCounterMap<>(2, "other"));
        hits.add(1, 1);
        hits.add(1L, 2);
        hits.add("/b", 4);                 // past the cap: into "other", whose series a drain registers
        assertThat(scrape()).containsEntry(series("1"), 3.0);
        assertThatThrownBy(hits::drain).isInstanceOf(OutOfMemoryError.class);
        assertThat(scrape()).containsEntry(series("1"), 3.0).doesNotContainKey(series("other"));
        assertThat(hits.drain()).as("what the failed drain took, back")
                .isEqualTo(Map.of(1, 1L, 1L, 2L, "other", 4L));
        assertThat(scrape()).containsEntry(series("1"), 3.0).containsEntry(series("other"), 4.0);
    }

    @Test
    void inTheScrapeRaceNoSharedSeriesFallsAndEachEndsOnTheSumOfItsKeys() throws InterruptedException {
        MonotoneCounterMap<Object> hits = hits(new StripedCounterMap<>());
        Map<String, Double> expected = race(hits::add, hits::get, hits::drain);
        assertThat(hits.seriesCount()).isEqualTo(TEXTS);
        assertThat(lastScrape).containsAllEntriesOf(expected);
    }

    @Test
    void negativeControlOnePlainFunctionCounterPerKeyMissesTheSums() throws InterruptedException {
        Map<Object, LongAdder> adders = new ConcurrentHashMap<>();
        Map<String, Double> expected = race((key, delta) -> adders.computeIfAbsent(key, k -> {
            LongAdder adder = new LongAdder();
            FunctionCounter.builder("http.hits", adder, LongAdder::sum)
                    .tags("shop", "eu", "path", String.valueOf(k)).register(registry);
            return adder;
        }).add(delta), key -> adders.containsKey(key) ? adders.get(key).sum() : 0L,
                () -> Map.of("not drained: a tick that lets the race count its drains", 1L));
        long missed = expected.entrySet().stream()
                .filter(e -> !e.getValue().equals(lastScrape.get(e.getKey()))).count();
        assertThat(missed).as("series that lost their Long key's adds, of %s: %s", TEXTS, lastScrape)
                .isPositive();
    }

    private Map<String, Double> lastScrape;

    /**
     * Writers add to Integer keys, and to a Long key once in about 500 adds; the drainer adds 1 to
     * every Integer key before each drain, so those never leave their series, while the Long keys
     * are idle for two drains at a time and leave, and join again at their next add. Returns what
     * each series must end on: what the drains took from its keys plus what they hold.
     */
    private Map<String, Double> race(BiConsumer<Object, Long> add, ToLongFunction<Object> get,
            Supplier<Map<Object, Long>> drain) throws InterruptedException {
        Map<Object, Long> drained = new ConcurrentHashMap<>();
        AtomicLong byDrainer = new AtomicLong();
        ScrapeRace.Outcome outcome = new ScrapeRace(registry, delta -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            int i = random.nextInt(TEXTS);
            add.accept(random.nextInt(500) == 0 ? (Object) (long) i : (Object) i, delta);
        }, () -> {
            for (int i = 0; i < TEXTS; i++) {
                add.accept(i, 1L);
            }
            byDrainer.addAndGet(TEXTS);
            long sum = 0L;
            for (Map.Entry<Object, Long> e : drain.get().entrySet()) {
                drained.merge(e.getKey(), e.getValue(), Long::sum);
                sum += e.getValue();
            }
            return sum;
        }).run(100_000, 100);

        assertThat(outcome.deadlinePassed()).as("deadline passed: %s", outcome).isFalse();
        assertThat(outcome.failedScrapes()).isEmpty();
        assertThat(outcome.falls()).as("falls, e.g. %s", outcome.examples()).isZero();
        assertThat(outcome.negatives()).as("negative samples, e.g. %s", outcome.examples()).isZero();
        Map<String, Double> expected = new HashMap<>();
        long total = 0L;
        for (int i = 0; i < TEXTS; i++) {
            long added = 0L;
            for (Object key : new Object[] {i, (long) i}) {
                added += drained.getOrDefault(key, 0L) + get.applyAsLong(key);
            }
            expected.put(series(String.valueOf(i)), (double) added);
            total += added;
        }
        assertThat(total).as("drains plus what remains").isEqualTo(outcome.added() + byDrainer.get());
        lastScrape = outcome.lastScrape();
        return expected;
    }
}
