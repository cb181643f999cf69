package dev.tally.counter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.Counter;
import dev.tally.counter.impl.StripedCounterMap;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.ref.WeakReference;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A series that the user removes from the registry ({@code registry.remove}, {@code clear}) is
 * registered again by the next add to one of its keys, or drain that takes from one, and goes on
 * from the total it had: it never falls.
 */
final class CounterMapRegistryRemovalTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    private Map<String, Double> scrape() {
        return PrometheusSamples.parse(registry.scrape());
    }

    private static String series(String key) {
        return "http_hits_total{path=\"" + key + "\",shop=\"eu\"}";
    }

    private MonotoneCounterMap<String> hits() {
        return TallyMeters.counterMap(registry, "http.hits", Tags.of("shop", "eu"), "path",
                new StripedCounterMap<>());
    }

    private FunctionCounter meter(String key) {
        return registry.get("http.hits").tag("path", key).functionCounter();
    }

    @Test
    void aSeriesRemovedByTheUserIsRegisteredAgainByTheNextAddAndGoesOnFromItsTotal() {
        MonotoneCounterMap<String> hits = hits();
        hits.add("/a", 3);
        assertThat(hits.drain()).isEqualTo(Map.of("/a", 3L));
        hits.add("/a", 1);
        registry.remove(meter("/a"));
        assertThat(scrape()).doesNotContainKey(series("/a"));
        hits.add("/a", 2);
        assertThat(scrape()).containsEntry(series("/a"), 6.0);
    }

    @Test
    void seriesClearedFromTheRegistryAreRegisteredAgainByTheNextDrainThatTakesFromThem() {
        MonotoneCounterMap<String> hits = hits();
        hits.add("/a", 3);
        hits.add("/b", 1);
        hits.drain();
        hits.add("/a", 1);
        hits.add("/b", 1);
        registry.clear();
        assertThat(hits.drain()).isEqualTo(Map.of("/a", 1L, "/b", 1L));
        assertThat(scrape()).containsEntry(series("/a"), 4.0).containsEntry(series("/b"), 2.0);
    }

    @Test
    void aHandleRegistersItsKeysSeriesAgainAfterTheUserRemovedIt() {
        MonotoneCounterMap<String> hits = hits();
        Counter home = hits.counter("/home");
        home.add(2);
        registry.remove(meter("/home"));
        home.increment();
        assertThat(scrape()).containsEntry(series("/home"), 3.0);
        registry.clear();
        home.increment();
        assertThat(scrape()).containsEntry(series("/home"), 4.0);
    }

    @Test
    void aSeriesTheMapRemovedAsIdleStartsANewSeriesAndTheUserCanRemoveThatOneToo() {
        MonotoneCounterMap<String> hits = hits();
        hits.add("/a", 3);
        hits.drain();
        hits.drain();
        hits.drain();                       // idle twice: the map removed the series
        assertThat(hits.seriesCount()).isZero();
        hits.add("/a", 2);
        assertThat(scrape()).as("a new series").containsEntry(series("/a"), 2.0);
        registry.remove(meter("/a"));
        hits.add("/a", 1);
        assertThat(scrape()).containsEntry(series("/a"), 3.0);
        assertThat(hits.seriesCount()).isEqualTo(1);
    }

    @Test
    void theRegistryDoesNotKeepAMapAliveOnceItsSeriesAreGone() {
        WeakReference<MonotoneCounterMap<String>> map = new WeakReference<>(hits());
        map.get().add("/a", 1);
        map.get().drain();
        map.get().drain();
        map.get().drain();                  // idle twice: no series left
        assertThat(registry.getMeters()).isEmpty();
        for (int i = 0; i < 20 && map.get() != null; i++) {
            System.gc();
        }
        assertThat(map.get()).as("the map, after its last series left the registry").isNull();
        registry.counter("unrelated").increment();
        registry.remove(registry.get("unrelated").counter());   // a removal reaches its listener
    }
}
