package dev.tally.counter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.tally.counter.Counter;
import dev.tally.counter.redis.RedisCounter;
import dev.tally.counter.redis.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A {@link RedisCounter} exported through {@link RedisMeters}, against a real redis-server: the
 * race of {@link MonotoneExportTest} (writers, a drainer on the shared count, a scraper) while the
 * flusher moves the adds to the server every millisecond, and scrapes that send no command.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
final class RedisExportTest {

    private static RedisServer server;
    private static RedisClient client;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    @BeforeAll
    static void startRedis() {
        server = RedisServer.start(false);
        client = RedisClient.create();
    }

    @AfterAll
    static void stopRedis() {
        client.shutdown();
        server.close();
    }

    private RedisCounter counter(String name) {
        return RedisCounter.builder(client, server.uri(), name).flushInterval(Duration.ofMillis(1)).build();
    }

    @Test
    void noScrapedSampleFallsWhileTheSharedCountIsDrainedAndTheLastIsEverythingThisJvmAdded()
            throws InterruptedException {
        try (RedisCounter shared = counter("race")) {
            shared.reset();
            Counter views = RedisMeters.counter(registry, "page.views", Tags.empty(), shared);

            ScrapeRace.Outcome outcome = new ScrapeRace(registry, views::add, views::getAndReset)
                    .run(20_000, 50);

            assertThat(outcome.deadlinePassed()).as("deadline passed: %s", outcome).isFalse();
            assertThat(outcome.failedScrapes()).isEmpty();
            assertThat(outcome.falls()).as("falls, e.g. %s", outcome.examples()).isZero();
            assertThat(outcome.negatives()).as("negative samples, e.g. %s", outcome.examples()).isZero();
            assertThat(outcome.lastScrape()).containsEntry("page_views_total", (double) outcome.added());
            assertThat(outcome.drained() + shared.get()).as("drains plus what remains").isEqualTo(outcome.added());
        }
    }

    @Test
    void anotherJvmsDrainDoesNotLowerTheExportAndItsAddsDoNotRaiseIt() {
        try (RedisCounter here = counter("two-jvms"); RedisCounter elsewhere = counter("two-jvms")) {
            here.reset();
            Counter views = RedisMeters.counter(registry, "page.views", Tags.empty(), here);
            views.add(5);
            here.flush();
            elsewhere.add(7);
            assertThat(elsewhere.getAndReset()).isEqualTo(12);
            assertThat(registry.get("page.views").functionCounter().count()).isEqualTo(5.0);
        }
    }

    @Test
    void aNegativeAddIsRefusedNamingTheValueAndAddsNothing() {
        try (RedisCounter shared = counter("negative")) {
            shared.reset();
            Counter views = RedisMeters.counter(registry, "page.views", Tags.empty(), shared);
            views.add(2);
            assertThatIllegalArgumentException().isThrownBy(() -> views.add(-3))
                    .withMessageContaining("add(-3)").withMessageContaining("'page.views'");
            assertThat(shared.get()).isEqualTo(2);
            assertThat(registry.get("page.views").functionCounter().count()).isEqualTo(2.0);
        }
    }

    @Test
    void aScrapeSendsNoCommandToRedis() {
        try (RedisCounter shared = RedisCounter.builder(client, server.uri(), "no-round-trip")
                        .flushInterval(Duration.ofHours(1)).build();
                StatefulRedisConnection<String, String> raw = client.connect(server.uri())) {
            Counter views = RedisMeters.counter(registry, "page.views", Tags.empty(), shared);
            views.add(3);
            shared.flush();
            views.add(4);                     // pending, not sent: a scrape must see it anyway
            long before = commandsProcessed(raw);
            for (int i = 0; i < 100; i++) {
                assertThat(PrometheusSamples.parse(registry.scrape())).containsEntry("page_views_total", 7.0);
            }
            // The first INFO is the one command counted in between.
            assertThat(commandsProcessed(raw) - before).isEqualTo(1L);
        }
    }

    private static long commandsProcessed(StatefulRedisConnection<String, String> raw) {
        String key = "total_commands_processed:";
        return Long.parseLong(raw.sync().info("stats").lines().filter(l -> l.startsWith(key))
                .findFirst().orElseThrow().substring(key.length()).trim());
    }
}
