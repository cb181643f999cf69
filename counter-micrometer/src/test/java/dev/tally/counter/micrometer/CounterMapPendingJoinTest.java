package dev.tally.counter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.impl.StripedCounterMap;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * An add never waits for the drain lock (a registry listener's add would deadlock), so a new key
 * whose add finds the lock held is queued, and the thread holding the lock joins it once done:
 * its series is registered with no further add or drain. Before that, such a key stayed out of
 * its series until a later add or drain, so the last scrape after the adds stopped missed it.
 */
final class CounterMapPendingJoinTest {

    @Test
    void aKeyAddedWhileAnotherThreadRegistersIsExportedOnceThatThreadIsDone() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CountDownLatch inRegistration = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public MeterFilterReply accept(Meter.Id id) {
                if ("/slow".equals(id.getTag("path"))) {   // holds the drain lock meanwhile
                    inRegistration.countDown();
                    await(release);
                }
                return MeterFilterReply.NEUTRAL;
            }
        });
        MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "http.hits", Tags.empty(),
                "path", new StripedCounterMap<>());
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread slow = new Thread(() -> {
            try {
                hits.add("/slow", 1);
            } catch (Throwable t) {
                failed.set(t);
            }
        }, "registers /slow");
        slow.start();
        assertThat(inRegistration.await(10, TimeUnit.SECONDS)).as("registration started").isTrue();

        hits.add("/fast", 5);   // finds the drain lock held: queued, returns at once
        assertThat(registry.find("http.hits").tag("path", "/fast").functionCounter())
                .as("/fast's series while /slow's registration holds the lock").isNull();

        release.countDown();
        slow.join(10_000);
        assertThat(slow.isAlive()).isFalse();
        assertThat(failed.get()).isNull();
        assertThat(registry.find("http.hits").tag("path", "/fast").functionCounter())
                .as("/fast's series once the lock's holder is done, with no further add").isNotNull()
                .extracting(c -> c.count()).isEqualTo(5.0);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
