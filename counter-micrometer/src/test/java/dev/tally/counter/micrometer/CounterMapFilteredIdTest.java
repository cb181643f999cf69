package dev.tally.counter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.impl.StripedCounterMap;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Texts that the registry's filters turn into one meter id share one series, grouped by the id
 * the registry registered: it exports the exact sum of their keys, and leaves the registry only
 * with the last of them. Its negative control: a plain {@code FunctionCounter} per text loses the
 * second text's adds.
 */
final class CounterMapFilteredIdTest {

    private static final String USERS = "http_hits_total{path=\"/user/*\"}";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    @BeforeEach
    void foldUserPaths() {
        registry.config().meterFilter(MeterFilter.replaceTagValues("path",
                v -> v.startsWith("/user/") ? "/user/*" : v));
    }

    private Map<String, Double> scrape() {
        return PrometheusSamples.parse(registry.scrape());
    }

    @Test
    void textsThatAFilterMakesOneIdExportTheirExactSumUntilTheLastOfTheirKeysLeaves() {
        MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "http.hits", Tags.empty(), "path",
                new StripedCounterMap<>());
        hits.add("/user/1", 5);
        hits.add("/user/2", 7);
        hits.add("/home", 1);
        assertThat(scrape()).containsEntry(USERS, 12.0).containsEntry("http_hits_total{path=\"/home\"}", 1.0);
        assertThat(hits.seriesCount()).isEqualTo(2);
        assertThat(hits.drain()).isEqualTo(Map.of("/user/1", 5L, "/user/2", 7L, "/home", 1L));
        for (int i = 0; i < 3; i++) {      // /user/2 and /home idle: they leave; /user/1 stays
            hits.add("/user/1", 1);
            hits.drain();
        }
        assertThat(hits.seriesCount()).isEqualTo(1);
        hits.add("/user/1", 100);
        assertThat(scrape()).containsOnlyKeys(USERS).containsEntry(USERS, 115.0);
        hits.add("/user/2", 1);            // back: joins the live series of its id
        assertThat(scrape()).containsEntry(USERS, 116.0);
        assertThat(hits.seriesCount()).isEqualTo(1);
        hits.drain();
        hits.drain();
        hits.drain();                      // all idle twice: the series leaves
        assertThat(scrape()).isEmpty();
        assertThat(hits.seriesCount()).isZero();
        hits.add("/user/3", 2);
        assertThat(scrape()).as("a new series").containsEntry(USERS, 2.0);
    }

    @Test
    void negativeControlOnePlainFunctionCounterPerTextLosesTheSecondTextsAdds() {
        AtomicLong one = new AtomicLong();
        AtomicLong two = new AtomicLong();
        FunctionCounter.builder("http.hits", one, AtomicLong::get).tag("path", "/user/1").register(registry);
        FunctionCounter.builder("http.hits", two, AtomicLong::get).tag("path", "/user/2").register(registry);
        one.addAndGet(5);
        two.addAndGet(7);
        assertThat(scrape()).containsEntry(USERS, 5.0);
    }
}
