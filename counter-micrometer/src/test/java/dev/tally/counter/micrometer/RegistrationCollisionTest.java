package dev.tally.counter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.tally.counter.impl.StripedCounter;
import dev.tally.counter.impl.StripedCounterMap;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * {@link TallyMeters} refuses a meter whose id is already registered, and only that: a meter of
 * the same name with fewer or other tags is a series of its own. A map is refused when its series
 * would have the ids of registered ones: the same name, the same fixed tags and the same key tag.
 */
final class RegistrationCollisionTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();

    private double count(String name, Tags tags) {
        return registry.get(name).tags(tags).functionCounters().stream()
                .filter(c -> Tags.of(c.getId().getTags()).equals(tags))
                .findFirst().orElseThrow().count();
    }

    private static StripedCounter counterAt(long value) {
        StripedCounter counter = new StripedCounter();
        counter.add(value);
        return counter;
    }

    @Test
    void aCounterWithFewerTagsThanARegisteredOneIsASeriesOfItsOwn() {
        Tags more = Tags.of("shop", "eu", "region", "north");
        Tags fewer = Tags.of("shop", "eu");
        TallyMeters.counter(registry, "orders", more, counterAt(2));
        TallyMeters.counter(registry, "orders", fewer, counterAt(5));
        TallyMeters.gauge(registry, "in.flight", more, counterAt(1));
        TallyMeters.gauge(registry, "in.flight", fewer, counterAt(3));
        assertThat(count("orders", more)).isEqualTo(2.0);
        assertThat(count("orders", fewer)).isEqualTo(5.0);
        assertThat(registry.get("in.flight").tags(fewer).gauges()).hasSize(2);
    }

    @Test
    void aCounterWithTheSameNameAndTagsInAnyOrderIsRefused() {
        TallyMeters.counter(registry, "orders", Tags.of("shop", "eu", "region", "north"), counterAt(2));
        assertThatIllegalArgumentException().isThrownBy(() -> TallyMeters.counter(registry, "orders",
                Tags.of("region", "north", "shop", "eu"), counterAt(1)))
                .withMessageContaining("already registered");
        assertThatIllegalArgumentException().isThrownBy(() -> TallyMeters.gauge(registry, "orders",
                Tags.of("region", "north", "shop", "eu"), counterAt(1)));
        assertThat(count("orders", Tags.of("shop", "eu", "region", "north"))).isEqualTo(2.0);
    }

    @Test
    void aCounterWhoseIdTheRegistrysCommonTagsCompleteIsRefused() {
        registry.config().commonTags("app", "shop");
        TallyMeters.counter(registry, "orders", Tags.of("shop", "eu"), counterAt(2));
        assertThatIllegalArgumentException().isThrownBy(() -> TallyMeters.counter(registry, "orders",
                Tags.of("shop", "eu"), counterAt(1)))
                .withMessageContaining("already registered");
        TallyMeters.counter(registry, "orders", Tags.empty(), counterAt(7));
        assertThat(count("orders", Tags.of("app", "shop"))).isEqualTo(7.0);
    }

    @Test
    void aMapWithOtherFixedTagsUnderTheSameNameAndKeyTagIsAccepted() {
        MonotoneCounterMap<String> eu = TallyMeters.counterMap(registry, "http.hits",
                Tags.of("shop", "eu"), "path", new StripedCounterMap<>());
        eu.add("/a", 1);
        MonotoneCounterMap<String> us = TallyMeters.counterMap(registry, "http.hits",
                Tags.of("shop", "us"), "path", new StripedCounterMap<>());
        us.add("/a", 2);
        MonotoneCounterMap<String> all = TallyMeters.counterMap(registry, "http.hits",
                Tags.empty(), "path", new StripedCounterMap<>());
        all.add("/a", 3);
        assertThat(count("http.hits", Tags.of("shop", "eu", "path", "/a"))).isEqualTo(1.0);
        assertThat(count("http.hits", Tags.of("shop", "us", "path", "/a"))).isEqualTo(2.0);
        assertThat(count("http.hits", Tags.of("path", "/a"))).isEqualTo(3.0);
    }

    @Test
    void aMapWhoseSeriesWouldHaveTheIdsOfRegisteredOnesIsRefused() {
        TallyMeters.counterMap(registry, "http.hits", Tags.of("shop", "eu"), "path",
                new StripedCounterMap<String>()).add("/a", 1);
        assertThatIllegalArgumentException().isThrownBy(() -> TallyMeters.counterMap(registry,
                "http.hits", Tags.of("shop", "eu"), "path", new StripedCounterMap<String>()))
                .withMessageContaining("http.hits").withMessageContaining("'path'");
        registry.counter("page.views", "path", "/b", "shop", "eu");   // not a map's, the same ids
        assertThatIllegalArgumentException().isThrownBy(() -> TallyMeters.counterMap(registry,
                "page.views", Tags.of("shop", "eu"), "path", new StripedCounterMap<String>()));
        TallyMeters.counterMap(registry, "page.views", Tags.of("shop", "eu"), "route",
                new StripedCounterMap<String>()).add("/b", 1);   // another key tag: other ids
        assertThat(count("page.views", Tags.of("shop", "eu", "route", "/b"))).isEqualTo(1.0);
    }
}
