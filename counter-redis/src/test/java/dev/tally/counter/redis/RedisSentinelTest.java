package dev.tally.counter.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A master, its replica and a Sentinel on loopback; a counter reaches the master through the
 * Sentinel, with {@code waitForReplicas(1)}, and keeps adding while {@code SENTINEL FAILOVER}
 * promotes the replica: exact afterwards, read from the new master. The old master takes writes
 * until it is demoted; they count as done only once a replica acknowledges them, which the
 * promoted one no longer does, so they are retried on the new master. With two replicas and
 * {@code waitForReplicas(1)} the other replica acknowledges them, both are then re-synced from the
 * promoted one, and they are lost (seen here: 3,689 of 7,239): wait for every replica.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
final class RedisSentinelTest {

    private static final String MASTER = "tally-master";

    @Test
    void aFailoverWithReplicaAcknowledgementsLosesNothing() throws Exception {
        RedisClient client = RedisClient.create();
        try (RedisServer master = RedisServer.start(false);
                RedisServer replica = RedisServer.start(false,
                        List.of("--replicaof", "127.0.0.1", Integer.toString(master.port())))) {
            awaitInSync(client, replica);
            try (RedisServer sentinel = RedisServer.sentinel(MASTER, master);
                    StatefulRedisSentinelConnection<String, String> watch =
                            client.connectSentinel(RedisURI.create("127.0.0.1", sentinel.port()))) {
                awaitUntil(() -> !watch.sync().replicas(MASTER).isEmpty(), "the Sentinel sees the replica");
                RedisURI viaSentinel = RedisURI.Builder.sentinel("127.0.0.1", sentinel.port(), MASTER).build();
                AtomicLong added = new AtomicLong();
                AtomicBoolean stop = new AtomicBoolean();
                try (RedisCounters counters = RedisCounters.builder(client, viaSentinel)
                        .flushInterval(Duration.ofMillis(5)).commandTimeout(Duration.ofSeconds(1))
                        .waitForReplicas(1, Duration.ofMillis(500)).build()) {
                    RedisCounter counter = counters.counter("failover");
                    counter.reset();
                    Thread writer = new Thread(() -> {
                        while (!stop.get()) {
                            counter.increment();
                            added.incrementAndGet();
                            LockSupport.parkNanos(50_000);
                        }
                    });
                    writer.start();
                    LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
                    watch.sync().failover(MASTER);
                    awaitUntil(() -> ((java.net.InetSocketAddress) watch.sync().getMasterAddrByName(MASTER)).getPort() == replica.port(),
                            "the replica is promoted");
                    // What the Sentinel does within about 10 s (once it sees the old master still
                    // call itself master), done now to keep the test short: the old master becomes
                    // a replica of the new one, so WAIT on the new master can be answered.
                    try (StatefulRedisConnection<String, String> old = client.connect(master.uri())) {
                        old.sync().replicaof("127.0.0.1", replica.port());
                    }
                    LockSupport.parkNanos(Duration.ofMillis(300).toNanos());
                    stop.set(true);
                    writer.join();
                    counter.flush();
                    try (StatefulRedisConnection<String, String> promoted = client.connect(replica.uri())) {
                        assertThat(promoted.sync().get("tally:{failover}:value"))
                                .isEqualTo(Long.toString(added.get()));
                    }
                    assertThat(counter.getAndReset()).isEqualTo(added.get());
                }
            }
        } finally {
            client.shutdown();
        }
    }

    private static void awaitInSync(RedisClient client, RedisServer replica) {
        try (StatefulRedisConnection<String, String> c = client.connect(replica.uri())) {
            awaitUntil(() -> c.sync().info("replication").contains("master_link_status:up"), "the replica syncs");
        }
    }

    private static void awaitUntil(java.util.function.BooleanSupplier done, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as(what + " within 60 s").isNegative();
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }
}
