package dev.tally.bench;

import dev.tally.counter.redis.RedisCounter;
import dev.tally.counter.redis.RedisCounters;
import dev.tally.counter.redis.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The cost of many counters in one JVM on one {@link RedisCounters}: connections and threads it
 * opens, its flusher's CPU while the counters are idle, and the time of one flush that sends a
 * batch for every counter in one pipeline. Not JMH: the work is one pipeline to a server process.
 * Run with
 *
 * <pre>
 * java -cp &lt;counter-bench classpath&gt; dev.tally.bench.RedisManyCounters 10000 5
 * </pre>
 */
public final class RedisManyCounters {

    private RedisManyCounters() {
    }

    /**
     * Measures {@code args[0]} counters (default 10,000), {@code args[1]} rounds (default 5), and
     * prints the median and range of each figure.
     *
     * @param args the number of counters and of rounds
     */
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        RedisClient client = RedisClient.create();
        try (RedisServer server = RedisServer.start(false);
                StatefulRedisConnection<String, String> admin = client.connect(server.uri())) {
            long before = connections(admin);
            double[] flushMillis = new double[rounds];
            double[] incrbyMillis = new double[rounds];
            double[] idlePercent = new double[rounds];
            RedisCounters counters = RedisCounters.builder(client, server.uri()).build();
            try {
                List<RedisCounter> all = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    all.add(counters.counter("many-" + i));
                }
                all.forEach(RedisCounter::increment);
                counters.flush();   // connects, loads the script
                Thread flusher = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().startsWith("tally-redis-flusher-")).findFirst().orElseThrow();
                ThreadMXBean threads = ManagementFactory.getThreadMXBean();
                for (int r = 0; r < rounds; r++) {
                    all.forEach(RedisCounter::increment);
                    long start = System.nanoTime();
                    counters.flush();
                    flushMillis[r] = (System.nanoTime() - start) / 1e6;
                    long cpu = threads.getThreadCpuTime(flusher.getId());
                    long wall = System.nanoTime();
                    LockSupport.parkNanos(Duration.ofSeconds(2).toNanos());
                    idlePercent[r] = 100.0 * (threads.getThreadCpuTime(flusher.getId()) - cpu)
                            / (System.nanoTime() - wall);
                    incrbyMillis[r] = pipelinedIncrby(admin, n);
                }
                long perCounter = footprint(client, server, n);
                long ours = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().startsWith("tally-redis")).count();
                System.out.printf("%,d counters on one RedisCounters (%s, %s)%n", n, server.version(),
                        Runtime.version());
                System.out.printf("  connections opened          %d%n", connections(admin) - before);
                System.out.printf("  threads of tally            %d%n", ours);
                System.out.printf("  one flush of %,d batches  %s ms%n", n, summary(flushMillis));
                System.out.printf("  idle flusher CPU            %s %% of a core%n", summary(idlePercent));
                System.out.printf("  heap per flushed counter    %d B (used heap after a full GC, before and "
                        + "after %,d more)%n", perCounter, n);
                System.out.printf("  %,d INCRBY, one pipeline  %s ms (the same keys, no script)%n", n,
                        summary(incrbyMillis));
            } finally {
                long start = System.nanoTime();
                counters.close();
                System.out.printf("  close()                     %.2f ms%n", (System.nanoTime() - start) / 1e6);
            }
        } finally {
            client.shutdown();
        }
    }

    /**
     * The heap that each of {@code n} flushed counters holds: the used heap after a full GC, before
     * and after making {@code n} counters on a factory that is already connected, adding to each
     * and flushing them. Not JOL: its walk from a counter reaches Lettuce's connection, whose
     * lambdas (hidden classes) it cannot lay out.
     */
    private static long footprint(RedisClient client, RedisServer server, int n) {
        try (RedisCounters fresh = RedisCounters.builder(client, server.uri()).shutdownHook(false).build()) {
            fresh.counter("footprint-warm").increment();
            fresh.flush();   // connected, script loaded: not counted below
            List<RedisCounter> made = new ArrayList<>(n);
            long before = usedHeapAfterGc();
            for (int i = 0; i < n; i++) {
                made.add(fresh.counter("footprint-" + i));
            }
            made.forEach(RedisCounter::increment);
            fresh.flush();
            long after = usedHeapAfterGc();
            return (after - before) / n;
        }
    }

    private static long usedHeapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** Sends one {@code INCRBY} to each counter's value key in one pipeline; returns ms. */
    private static double pipelinedIncrby(StatefulRedisConnection<String, String> admin, int n) {
        long start = System.nanoTime();
        List<io.lettuce.core.RedisFuture<Long>> replies = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            replies.add(admin.async().incrby("tally:{many-" + i + "}:value", 1));
        }
        for (io.lettuce.core.RedisFuture<Long> reply : replies) {
            try {
                reply.get();
            } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
        return (System.nanoTime() - start) / 1e6;
    }

    private static long connections(StatefulRedisConnection<String, String> admin) {
        return admin.sync().clientList().lines().filter(l -> !l.isBlank()).count();
    }

    private static String summary(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return String.format("%.2f (%.2f to %.2f)", sorted[sorted.length / 2], sorted[0], sorted[sorted.length - 1]);
    }
}
