package dev.tally.counter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.counter.Counter;
import dev.tally.counter.impl.StripedCounterMap;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@link StripedCounterMap} exported through {@link MonotoneCounterMap}: the scrape race of
 * {@link MonotoneExportTest} over 50 keys, every key's series never falling and ending on what
 * was added to it; the cap, the overflow key and removed keys in the registry. A key that the map
 * removes and that is then added to again starts a new series, from zero: the race keeps every key
 * busy so that none is removed in it.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
final class CounterMapExportTest {

    private static final String[] KEYS = new String[50];

    static {
        for (int i = 0; i < KEYS.length; i++) {
            KEYS[i] = "/path/" + i;
        }
    }

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    private Map<String, Double> scrape() {
        return PrometheusSamples.parse(registry.scrape());
    }

    private static String series(String key) {
        return "http_hits_total{path=\"" + key + "\",shop=\"eu\"}";
    }

    @Test
    void noKeysSeriesFallsOrGoesNegativeAndEachEndsOnWhatWasAddedToIt() throws InterruptedException {
        MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "http.hits",
                Tags.of("shop", "eu"), "path", new StripedCounterMap<>());
        Map<String, Long> drained = new ConcurrentHashMap<>();
        AtomicLong byDrainer = new AtomicLong();

        ScrapeRace.Outcome outcome = new ScrapeRace(registry,
                delta -> hits.add(KEYS[ThreadLocalRandom.current().nextInt(KEYS.length)], delta),
                () -> {
                    // One add to every key first, so that no key is idle at a drain and none is
                    // removed during the race (removal is the next tests').
                    for (String key : KEYS) {
                        hits.increment(key);
                    }
                    byDrainer.addAndGet(KEYS.length);
                    long sum = 0L;
                    for (Map.Entry<String, Long> e : hits.drain().entrySet()) {
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
        for (String key : KEYS) {
            long added = drained.getOrDefault(key, 0L) + hits.get(key);
            expected.put(series(key), (double) added);
            total += added;
        }
        assertThat(total).as("drains plus what remains").isEqualTo(outcome.added() + byDrainer.get());
        assertThat(outcome.lastScrape()).containsAllEntriesOf(expected);
    }

    @Test
    void theCapBoundsTheSeriesAndTheOverflowKeyIsASeriesOfItsOwn() {
        MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "http.hits",
                Tags.of("shop", "eu"), "path", new StripedCounterMap<>(3, "other"));
        for (String key : new String[] {"/a", "/b", "/c", "/d", "/e", "/a"}) {
            hits.increment(key);
        }
        assertThat(hits.seriesCount()).isEqualTo(3);
        assertThat(hits.drain()).isEqualTo(Map.of("/a", 2L, "/b", 1L, "/c", 1L, "other", 2L));
        Map<String, Double> scraped = scrape();
        assertThat(scraped).containsEntry(series("other"), 2.0).containsEntry(series("/a"), 2.0)
                .doesNotContainKey(series("/d")).hasSize(4);
    }

    @Test
    void aKeyTheMapRemovesIsRemovedFromTheRegistryAndStartsANewSeriesWhenAddedAgain() {
        StripedCounterMap<String> map = new StripedCounterMap<>();
        MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "http.hits",
                Tags.of("shop", "eu"), "path", map);
        hits.add("/gone", 4);
        hits.add("/stays", 1);
        hits.drain();
        hits.increment("/stays");
        hits.drain();                      // "/gone" took nothing once
        hits.increment("/stays");
        hits.drain();                      // and twice: the map removes it, and so does the export
        assertThat(map.size()).isEqualTo(1);
        assertThat(scrape()).containsOnlyKeys(series("/stays")).containsEntry(series("/stays"), 3.0);
        hits.increment("/gone");
        assertThat(scrape()).containsEntry(series("/gone"), 1.0);
    }

    @Test
    void aHandleCountsIntoItsKeysSeriesAndRefusesANegativeAdd() {
        MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "http.hits",
                Tags.of("shop", "eu"), "path", new StripedCounterMap<>());
        Counter home = hits.counter("/home");
        home.add(2);
        home.increment();
        assertThat(home.getAndReset()).isEqualTo(3);
        home.increment();
        assertThat(scrape()).containsEntry(series("/home"), 4.0);
        assertThatIllegalArgumentException().isThrownBy(() -> home.add(-1)).withMessageContaining("-1");
        assertThatIllegalArgumentException().isThrownBy(() -> hits.add("/home", -7))
                .withMessageContaining("add(/home, -7)");
        assertThat(hits.get("/home")).isEqualTo(1);
    }

    @Test
    void theKeyTagCannotBeOneOfTheTags() {
        assertThatIllegalArgumentException().isThrownBy(() -> TallyMeters.counterMap(registry,
                "http.hits", Tags.of("path", "x"), "path", new StripedCounterMap<String>()))
                .withMessageContaining("'path'");
    }

    @Test
    void aKeyDrainedByGetAndResetKeepsItsSeriesWhileTheMapHoldsIt() {
        MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "http.hits",
                Tags.of("shop", "eu"), "path", new StripedCounterMap<>());
        hits.add("/a", 10);
        hits.drain();
        for (int i = 0; i < 2; i++) {
            hits.add("/a", 5);
            assertThat(hits.getAndReset("/a")).isEqualTo(5);
            hits.drain();   // took nothing from "/a", but getAndReset did: not idle
        }
        hits.increment("/a");
        assertThat(scrape()).as("one series, never reset").containsEntry(series("/a"), 21.0);
    }

    @Test
    void aSecondMapUnderTheSameNameAndKeyTagIsRefused() {
        MonotoneCounterMap<String> first = TallyMeters.counterMap(registry, "http.hits",
                Tags.of("shop", "eu"), "path", new StripedCounterMap<>());
        first.increment("/a");
        assertThatIllegalArgumentException().isThrownBy(() -> TallyMeters.counterMap(registry,
                "http.hits", Tags.of("shop", "eu"), "path", new StripedCounterMap<String>()))
                .withMessageContaining("http.hits").withMessageContaining("'path'");
    }

    @Test
    void aDrainThatThrowsAfterTheMapsDrainLosesNoCountAndMovesNoSeries() {
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
        MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "http.hits",
                Tags.of("shop", "eu"), "path", new StripedCounterMap<>(1, "other"));
        hits.add("/a", 1);
        hits.add("/b", 4);   // past the cap: into "other", whose series a drain registers
        assertThatThrownBy(hits::drain).isInstanceOf(OutOfMemoryError.class);
        assertThat(scrape()).containsEntry(series("/a"), 1.0);
        assertThat(hits.drain()).as("what the failed drain took, back").isEqualTo(Map.of("/a", 1L, "other", 4L));
        assertThat(scrape()).containsEntry(series("/a"), 1.0).containsEntry(series("other"), 4.0);
    }
}
