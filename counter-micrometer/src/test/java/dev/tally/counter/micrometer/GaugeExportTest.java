package dev.tally.counter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.tally.counter.impl.StripedCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/** A count that goes up and down, exported as a gauge that reads it at each scrape. */
final class GaugeExportTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    private double scraped(String series) {
        return PrometheusSamples.parse(registry.scrape()).get(series);
    }

    @Test
    void theGaugeReadsTheCounterUpAndDownAtEachScrape() {
        StripedCounter inFlight = new StripedCounter();
        Gauge gauge = TallyMeters.gauge(registry, "requests.in.flight", Tags.of("pool", "web"), inFlight);
        String series = "requests_in_flight{pool=\"web\"}";
        inFlight.increment();
        inFlight.increment();
        assertThat(scraped(series)).isEqualTo(2.0);
        inFlight.decrement();
        assertThat(scraped(series)).isEqualTo(1.0);
        assertThat(gauge.value()).isEqualTo(1.0);
        inFlight.add(-5);   // a gauge may go below zero: it reports what the counter holds
        assertThat(scraped(series)).isEqualTo(-4.0);
    }

    @Test
    void theRegistryKeepsTheCounterReachable() {
        TallyMeters.gauge(registry, "open.connections", Tags.empty(), counterAt(3));
        for (int i = 0; i < 3; i++) {
            System.gc();   // not a wait for a race: a weakly held counter would read NaN after it
        }
        assertThat(scraped("open_connections")).isEqualTo(3.0);
    }

    @Test
    void theSameNameAndTagsTwiceAreRefused() {
        TallyMeters.gauge(registry, "open.connections", Tags.empty(), new StripedCounter());
        assertThatIllegalArgumentException()
                .isThrownBy(() -> TallyMeters.gauge(registry, "open.connections", Tags.empty(),
                        new StripedCounter()))
                .withMessageContaining("already registered");
    }

    private static StripedCounter counterAt(long value) {
        StripedCounter counter = new StripedCounter();
        counter.add(value);
        return counter;
    }
}
