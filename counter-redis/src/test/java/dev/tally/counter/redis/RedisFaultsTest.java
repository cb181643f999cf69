package dev.tally.counter.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The server misbehaves while a counter is in use: it stalls, it dies and comes back, it stays
 * away. Each test ends with an exact total. Each test gets its own server, with AOF and
 * {@code appendfsync always} so that a killed server keeps every write it acknowledged.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
final class RedisFaultsTest {

    @RegisterExtension
    final TestRedis redis = TestRedis.perTest(true);

    @Test
    void aPauseLongerThanTheTimeoutDelaysBatchesButCountsEachOnce() throws Exception {
        try (RedisCounter counter = redis.counter("pause").commandTimeout(Duration.ofMillis(100)).build();
                Writer writer = new Writer(counter)) {
            counter.add(1);
            counter.flush();
            redis.commands().clientPause(1_000);
            long paused = System.nanoTime();
            counter.add(1);
            writer.await(1_000);
            counter.flush();     // times out ten times over, retrying the same batch
            assertThat(System.nanoTime() - paused).isGreaterThan(Duration.ofMillis(900).toNanos());
            writer.stop();
            counter.flush();
            assertThat(redis.value("pause")).isEqualTo(2 + writer.added());
        }
    }

    @Test
    void aDrainAppliedAfterItsCallGaveUpIsReturnedByTheNextCall() {
        try (RedisCounter counter = redis.counter("lost-reply").commandTimeout(Duration.ofMillis(100))
                .stalenessLimit(Duration.ofMillis(300)).build()) {
            assertThat(counter.getAndReset()).as("loads the drain script, so EVALSHA works later").isZero();
            counter.add(10);
            counter.flush();
            redis.commands().clientPause(1_000);
            assertThatThrownBy(counter::getAndReset).isInstanceOf(CounterUnavailableException.class);
            assertThat(redis.value("lost-reply")).as("the server ran the drain once the pause ended")
                    .isZero();
            counter.add(5);
            assertThat(counter.getAndReset()).as("the lost drain's stored 10, and the 5 taken now")
                    .isEqualTo(15);
            assertThat(counter.getAndReset()).isZero();
        }
    }

    @Test
    void aServerKilledAndRestartedWithAofKeepsTheCountExact() {
        try (RedisCounter counter = redis.counter("restart").flushInterval(Duration.ofMillis(2)).build();
                Writer writer = new Writer(counter)) {
            awaitServerValueAbove("restart", 0);         // batches are flowing
            redis.server.kill();                         // kill -9, a batch may be in flight
            writer.await(writer.added() + 100_000);      // adds go on while the server is down
            redis.server.restart();                      // replays the AOF; script cache is empty
            awaitServerValueAbove("restart", writer.added());
            writer.stop();
            counter.flush();
            assertThat(redis.value("restart")).isEqualTo(writer.added());
        }
    }

    @Test
    void pastTheStalenessLimitCallsFailClearlyAndRecoverAfter() {
        Duration limit = Duration.ofMillis(300);
        try (RedisCounter counter = redis.counter("outage").stalenessLimit(limit)
                .commandTimeout(Duration.ofMillis(100)).build()) {
            counter.add(10);
            assertThat(TestRedis.getOnceReachable(counter)).isEqualTo(10);
            redis.server.kill();
            counter.add(5);
            String server = "127.0.0.1:" + redis.server.uri().getPort();
            assertThatThrownBy(counter::flush).isInstanceOf(CounterUnavailableException.class)
                    .hasMessageContaining(server).hasMessageContaining("staleness limit 300 ms")
                    // Kept locally, or in a batch written to the dying connection: either way kept.
                    .hasMessageMatching("(?s).*(5 added here is kept|5 is in a batch whose outcome is not known).*")
                    .satisfies(e -> assertThat(((CounterUnavailableException) e).age()).isGreaterThan(limit));
            assertThatThrownBy(counter::get).isInstanceOf(CounterUnavailableException.class);
            assertThatThrownBy(counter::getAndReset).isInstanceOf(CounterUnavailableException.class);
            redis.server.restart();
            assertThat(TestRedis.getOnceReachable(counter)).isEqualTo(15);
            assertThat(counter.getAndReset()).isEqualTo(15);
        }
    }

    @Test
    void withinTheStalenessLimitGetEstimatesFromTheLastValueAndLocalAdds() {
        try (RedisCounter counter = redis.counter("estimate").stalenessLimit(Duration.ofMinutes(1))
                .flushInterval(Duration.ofHours(1)).commandTimeout(Duration.ofMillis(100)).build()) {
            counter.add(10);
            // The first round trip of a JVM (class loading, connecting) can outlast 100 ms.
            assertThat(TestRedis.getOnceReachable(counter)).isEqualTo(10);
            redis.server.kill();
            counter.add(5);
            assertThat(counter.get()).isEqualTo(15);
            redis.server.restart();
        }
        assertThat(redis.value("estimate")).as("the batch that get() could not send").isEqualTo(15);
    }

    private void awaitServerValueAbove(String name, long floor) {
        assertThat(redis.awaitValue(name, v -> v > floor)).isGreaterThan(floor);
    }

    /** Adds 1 in a loop on its own thread until stopped; counts what it added. */
    private static final class Writer implements AutoCloseable {

        private final AtomicLong added = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Writer(RedisCounter counter) {
            thread = new Thread(() -> {
                while (running.get()) {
                    counter.add(1);
                    added.incrementAndGet();
                }
            }, "writer");
            thread.start();
        }

        /** Waits until at least {@code total} adds were made, for at most 30 s. */
        void await(long total) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (added.get() < total && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(added.get()).isGreaterThanOrEqualTo(total);
        }

        long added() {
            return added.get();
        }

        void stop() {
            running.set(false);
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while stopping the writer", e);
            }
        }

        @Override
        public void close() {
            stop();
        }
    }
}
