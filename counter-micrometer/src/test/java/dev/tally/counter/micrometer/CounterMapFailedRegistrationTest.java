package dev.tally.counter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.tally.counter.impl.StripedCounterMap;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * A series the registry will not register, and a key without a text, stop nothing else: the map
 * counts and drains every key as usual, an add throws only before it counts, and the series is
 * registered, with its whole total, once the registry takes it.
 */
final class CounterMapFailedRegistrationTest {

    /** A key whose toString() throws, or returns null. */
    private static Object keyWithoutAText(boolean returnsNull) {
        return new Object() {
            @Override
            public String toString() {
                if (returnsNull) {
                    return null;
                }
                throw new IllegalStateException("no text");
            }
        };
    }

    @Test
    void aSeriesTheRegistryRefusesIsCountedAndRegisteredWithItsWholeTotalOnceTheRegistryTakesIt() {
        MeterRegistry registry = new SimpleMeterRegistry();
        MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "http.hits", Tags.empty(), "path",
                new StripedCounterMap<>());
        Gauge users = Gauge.builder("http.hits", () -> 1.0).tag("path", "/g").register(registry);
        hits.add("/a", 2);
        hits.add("/g", 1);                 // its series cannot register: a Gauge has the id
        assertThat(hits.drain()).isEqualTo(Map.of("/a", 2L, "/g", 1L));
        hits.add("/g", 3);
        assertThat(registry.find("http.hits").tag("path", "/g").functionCounter()).isNull();
        registry.remove(users);
        hits.add("/g", 1);                 // an add does not try again: that is left to the drains
        assertThat(registry.find("http.hits").tag("path", "/g").functionCounter()).isNull();
        assertThat(hits.drain()).isEqualTo(Map.of("/g", 4L));   // tries again, and the registry takes it now
        assertThat(registry.get("http.hits").tag("path", "/g").functionCounter().count()).isEqualTo(5.0);
        assertThat(registry.get("http.hits").tag("path", "/a").functionCounter().count()).isEqualTo(2.0);
    }

    @Test
    void aSeriesThatCannotRegisterIsLoggedOnceNamingTheMeterTheTextAndTheCause() {
        MeterRegistry registry = new SimpleMeterRegistry();
        MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "http.hits", Tags.empty(), "path",
                new StripedCounterMap<>());
        Gauge.builder("http.hits", () -> 1.0).tag("path", "/g").register(registry);
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger(MonotoneCounterMap.class.getName());
        logger.addHandler(handler);
        try {
            for (int i = 0; i < 3; i++) {
                hits.add("/g", 1);
                hits.drain();
            }
        } finally {
            logger.removeHandler(handler);
        }
        assertThat(records).hasSize(1);
        assertThat(records.get(0).getLevel()).isEqualTo(Level.WARNING);
        assertThat(records.get(0).getMessage()).contains("'http.hits'", "'/g'", "different type");
        assertThat(records.get(0).getThrown()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anAddOrAHandleOfAKeyWithoutATextIsRefusedBeforeAnythingIsCounted() {
        MeterRegistry registry = new SimpleMeterRegistry();
        MonotoneCounterMap<Object> hits = TallyMeters.counterMap(registry, "http.hits", Tags.empty(), "path",
                new StripedCounterMap<>());
        Object throwing = keyWithoutAText(false);
        Object nullText = keyWithoutAText(true);
        assertThatIllegalArgumentException().isThrownBy(() -> hits.add(throwing, 1))
                .withMessageContaining("'http.hits'").withMessageContaining("threw")
                .withCauseInstanceOf(IllegalStateException.class);
        assertThatIllegalArgumentException().isThrownBy(() -> hits.add(nullText, 1))
                .withMessageContaining("returned null");
        assertThatIllegalArgumentException().isThrownBy(() -> hits.counter(throwing));
        assertThat(hits.get(throwing)).isZero();
        assertThat(hits.get(nullText)).isZero();
        assertThat(hits.drain()).isEmpty();
        assertThat(registry.getMeters()).isEmpty();
    }

    @Test
    void aKeyWithoutATextThatADrainFindsIsExportedUnderNoText() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        StripedCounterMap<Object> map = new StripedCounterMap<>();
        Object bad = keyWithoutAText(false);
        map.add(bad, 4);                   // before the map is exported: nothing could refuse it
        MonotoneCounterMap<Object> hits = TallyMeters.counterMap(registry, "http.hits", Tags.empty(), "path", map);
        hits.add("/a", 1);
        assertThat(hits.drain()).isEqualTo(Map.of(bad, 4L, "/a", 1L));
        assertThat(PrometheusSamples.parse(registry.scrape()))
                .containsEntry("http_hits_total{path=\"" + MonotoneCounterMap.NO_TEXT + "\"}", 4.0)
                .containsEntry("http_hits_total{path=\"/a\"}", 1.0);
    }

    @Test
    void aFilterThatThrowsWhileADrainRegistersLetsTheDrainReturnEverythingAndTheNextOneRegisters() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AtomicBoolean fail = new AtomicBoolean(true);
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public MeterFilterReply accept(Meter.Id id) {
                if ("other".equals(id.getTag("path")) && fail.getAndSet(false)) {
                    throw new IllegalStateException("thrown by the test while registering a series");
                }
                return MeterFilterReply.NEUTRAL;
            }
        });
        MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "http.hits", Tags.empty(), "path",
                new StripedCounterMap<>(1, "other"));
        hits.add("/a", 1);
        hits.add("/b", 4);                 // past the cap: into "other", whose series a drain registers
        assertThat(hits.drain()).isEqualTo(Map.of("/a", 1L, "other", 4L));
        assertThat(PrometheusSamples.parse(registry.scrape())).doesNotContainKey("http_hits_total{path=\"other\"}");
        hits.add("/c", 2);
        assertThat(hits.drain()).isEqualTo(Map.of("other", 2L));
        assertThat(PrometheusSamples.parse(registry.scrape())).containsEntry("http_hits_total{path=\"other\"}", 6.0)
                .containsEntry("http_hits_total{path=\"/a\"}", 1.0);
    }
}
