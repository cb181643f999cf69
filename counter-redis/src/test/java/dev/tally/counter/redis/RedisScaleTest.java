package dev.tally.counter.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.KeyValue;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Many counters in one JVM cost one connection and one thread, and nothing while idle. The
 * previous design started a thread and a connection per counter, whose checks kept both cores
 * busy with 1,000 idle counters.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
final class RedisScaleTest {

    private static final int COUNTERS = 10_000;

    @RegisterExtension
    static final TestRedis redis = TestRedis.perClass();

    @Test
    void tenThousandCountersShareOneConnectionAndOneThreadAndIdleCheaply() {
        long connectionsBefore = connections();
        try (RedisCounters counters = RedisCounters.builder(redis.client, redis.server.uri())
                .flushInterval(Duration.ofMillis(20)).build()) {
            String[] keys = new String[COUNTERS];
            for (int i = 0; i < COUNTERS; i++) {
                counters.counter("many-" + i).add(i + 1);
                keys[i] = "tally:{many-" + i + "}:value";
            }
            counters.flush();
            List<KeyValue<String, String>> values = redis.commands().mget(keys);
            for (int i = 0; i < COUNTERS; i++) {
                assertThat(values.get(i).getValue()).as(keys[i]).isEqualTo(Long.toString(i + 1));
            }
            assertThat(connections() - connectionsBefore).as("connections of the factory").isOne();
            List<Thread> ours = threadsOf(Link.describe(redis.server.uri()));
            assertThat(ours).as("threads of the factory").hasSize(1);

            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long before = threads.getThreadCpuTime(ours.get(0).getId());
            LockSupport.parkNanos(Duration.ofSeconds(1).toNanos());
            long idle = threads.getThreadCpuTime(ours.get(0).getId()) - before;
            assertThat(Duration.ofNanos(idle)).as("the flusher's CPU time in one idle second")
                    .isLessThan(Duration.ofMillis(20));
        }
        assertThat(threadsOf(Link.describe(redis.server.uri()))).as("closed with the factory").isEmpty();
    }

    private static long connections() {
        return redis.commands().clientList().lines().filter(l -> !l.isBlank()).count();
    }

    private static List<Thread> threadsOf(String server) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("tally-redis") && t.getName().contains(server)).toList();
    }
}
