package dev.tally.counter.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Edges off the tested paths of the first factory: a heap that runs out in the middle of a flush
 * round, a server whose eviction policy may remove the records that keep counts exact, and the
 * append-only-file wait on a server that has it or not.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
final class RedisSetupEdgesTest {

    @RegisterExtension
    final TestRedis redis = TestRedis.perTest(false);

    @Test
    void anOutOfMemoryErrorHalfwayThroughAFlushRoundLeavesNoCounterLockedAndTheFlusherRunning() {
        try (RedisCounters counters = RedisCounters.builder(redis.client, redis.server.uri())
                .flushInterval(Duration.ofMillis(10)).stalenessLimit(Duration.ofSeconds(1))
                .shutdownHook(false).build()) {
            RedisCounter a = counters.counter("oom-a");
            RedisCounter b = counters.counter("oom-b");
            a.add(0);   // connects: the rounds below fail only where the test says
            TestRedis.getOnceReachable(a);
            AtomicInteger thrown = new AtomicInteger();
            counters.midRound = () -> {
                if (thrown.getAndIncrement() < 3) {
                    throw new OutOfMemoryError("thrown by the test between sending and awaiting");
                }
            };
            a.add(5);
            b.add(7);
            // Before the fix the first error ended the flusher thread, with both counters' locks
            // held. Their batches were sent before the error, so the values alone prove nothing:
            // the flusher must go on to rounds that do not throw and send a later add by itself.
            assertThat(within(Duration.ofSeconds(10), () -> thrown.get() > 3))
                    .as("rounds after the three that threw").isTrue();
            a.add(1);
            assertThat(redis.awaitValue("oom-a", v -> v == 6)).as("sent by the flusher alone").isEqualTo(6);
            assertThat(redis.value("oom-b")).isEqualTo(7);
            a.flush();   // each would throw after the 1 s staleness limit on a lock left held
            b.flush();
            assertThat(a.get()).isEqualTo(6);
            assertThat(b.get()).isEqualTo(7);

            Thread caller = Thread.currentThread();
            counters.midRound = () -> {
                if (Thread.currentThread() == caller) {
                    throw new OutOfMemoryError("thrown by the test in the caller's round");
                }
            };
            b.add(2);
            assertThatThrownBy(counters::flush).as("a caller's round passes the error on")
                    .isInstanceOf(OutOfMemoryError.class);
            counters.midRound = () -> { };
            assertThat(b.get()).as("its batch stayed in flight, applied once").isEqualTo(9);
        }
        assertThat(redis.value("oom-a")).isEqualTo(6);
        assertThat(redis.value("oom-b")).isEqualTo(9);
    }

    @Test
    void aServerThatMayEvictTheRecordsIsNamedInAWarningAndOneThatMayNotIsNot() {
        Logger logger = Logger.getLogger(RedisCounters.class.getName());
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
        logger.addHandler(handler);
        try {
            try (RedisServer evicting = RedisServer.start(false,
                    List.of("--maxmemory", "64mb", "--maxmemory-policy", "volatile-lru"));
                    RedisCounter counter = RedisCounter.builder(redis.client, evicting.uri(), "evictable")
                            .shutdownHook(false).build()) {
                counter.add(1);
                TestRedis.getOnceReachable(counter);
                assertThat(within(Duration.ofSeconds(10), () -> warnings(records).stream()
                        .anyMatch(m -> m.contains("maxmemory-policy volatile-lru"))))
                        .as("a warning naming the policy, in %s", messages(records)).isTrue();
                assertThat(counter.owner().link.evictionPolicy()).isEqualTo("volatile-lru");
            }
            records.clear();
            try (RedisCounter counter = redis.counter("kept").shutdownHook(false).build()) {
                counter.add(1);
                TestRedis.getOnceReachable(counter);
                assertThat(within(Duration.ofSeconds(10),
                        () -> "noeviction".equals(counter.owner().link.evictionPolicy()))).isTrue();
                assertThat(warnings(records)).as("no warning for noeviction").isEmpty();
            }
        } finally {
            logger.removeHandler(handler);
        }
    }

    @Test
    void waitForAofHoldsEachWriteUntilTheFileHasItOrIsRefusedByAServerWithoutWaitaof() {
        try (RedisServer aof = RedisServer.start(true)) {
            boolean hasWaitaof = atLeast(aof, 7, 2);
            RedisCounter counter = RedisCounter.builder(redis.client, aof.uri(), "synced")
                    .flushInterval(Duration.ofMillis(20)).commandTimeout(Duration.ofSeconds(1))
                    .stalenessLimit(Duration.ofSeconds(1)).waitForAof(Duration.ofMillis(500))
                    .shutdownHook(false).build();
            if (hasWaitaof) {
                counter.add(3);
                counter.flush();
                assertThat(counter.getAndReset()).isEqualTo(3);
                counter.close();
                try (RedisCounter noFile = RedisCounter.builder(redis.client, redis.server.uri(), "unsynced")
                        .commandTimeout(Duration.ofSeconds(1)).waitForAof(Duration.ofMillis(500))
                        .shutdownHook(false).build()) {
                    noFile.add(1);
                    assertThatThrownBy(noFile::flush).as("appendonly no: WAITAOF is refused")
                            .isInstanceOf(CounterRejectedException.class).hasMessageContaining("WAITAOF");
                } catch (CounterRejectedException closing) {
                    assertThat(closing).hasMessageContaining("WAITAOF");
                }
            } else {
                // Redis before 7.2: each script is applied, then the WAITAOF after it is refused.
                assertThatThrownBy(counter::getAndReset).isInstanceOf(CounterRejectedException.class)
                        .hasMessageContaining("WAITAOF")
                        .satisfies(e -> assertThat(((CounterRejectedException) e).drainId())
                                .as("the drain was sent, so it may have been applied").isPresent());
                counter.add(3);
                assertThatThrownBy(counter::flush).isInstanceOf(CounterRejectedException.class)
                        .hasMessageContaining("WAITAOF").hasMessageContaining("3 added here is kept, and sent once");
                assertThatThrownBy(counter::close).isInstanceOf(CounterRejectedException.class)
                        .hasMessageContaining("WAITAOF")
                        .hasMessageContaining("3 is in a batch that Redis may have applied");
            }
        }
        RedisCounters.Builder tooLong = RedisCounters.builder(redis.client, redis.server.uri())
                .commandTimeout(Duration.ofMillis(100)).waitForAof(Duration.ofMillis(100));
        assertThatThrownBy(tooLong::build).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("waitForAof wait (PT0.1S) must be shorter than the command timeout");
    }

    private static boolean atLeast(RedisServer server, int major, int minor) {
        Matcher v = Pattern.compile("(\\d+)\\.(\\d+)").matcher(server.version());
        assertThat(v.find()).as("a version in %s", server.version()).isTrue();
        int maj = Integer.parseInt(v.group(1));
        return maj > major || (maj == major && Integer.parseInt(v.group(2)) >= minor);
    }

    private static List<String> warnings(List<LogRecord> records) {
        return records.stream().filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue())
                .map(LogRecord::getMessage).filter(m -> m.contains("maxmemory-policy")).toList();
    }

    private static List<String> messages(List<LogRecord> records) {
        return records.stream().map(LogRecord::getMessage).toList();
    }

    /** Polls {@code done} every millisecond until it holds or {@code limit} passes. */
    private static boolean within(Duration limit, BooleanSupplier done) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(Duration.ofMillis(1).toNanos());
        }
        return true;
    }
}
