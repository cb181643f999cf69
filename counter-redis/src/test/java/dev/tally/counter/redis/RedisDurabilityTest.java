package dev.tally.counter.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What exactness needs from the server, as the README's "Durability" states it: a server that
 * loses acknowledged writes repeats a drain (the documented outcome, shown here), and
 * {@code waitForReplicas} holds each batch until a replica has it.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
final class RedisDurabilityTest {

    @RegisterExtension
    final TestRedis redis = TestRedis.perTest(false);

    @Test
    void aRestartThatLosesAcknowledgedWritesRepeatsADrainAndLosesABatch() {
        try (RedisCounter counter = redis.counter("snapshot").commandTimeout(Duration.ofMillis(500)).build()) {
            counter.add(10);
            TestRedis.getOnceReachable(counter);
            redis.commands().save();                 // the last write the restart will keep
            assertThat(counter.getAndReset()).isEqualTo(10);
            counter.add(5);
            counter.flush();                         // acknowledged, then lost with the server
            redis.server.restart();                  // no AOF: back to the snapshot
            TestRedis.getOnceReachable(counter);
            assertThat(counter.getAndReset()).as("15 added, 20 drained: the README says so").isEqualTo(10);
        }
    }

    @Test
    void withWaitForReplicasABatchIsDoneOnlyOnceAReplicaHasIt() {
        try (RedisServer replica = RedisServer.start(false,
                List.of("--replicaof", "127.0.0.1", Integer.toString(redis.server.port())));
                RedisCounter counter = redis.counter("replicated").commandTimeout(Duration.ofSeconds(1))
                        .stalenessLimit(Duration.ofSeconds(1)).waitForReplicas(1, Duration.ofMillis(300)).build()) {
            RedisClient client = redis.client;
            try (StatefulRedisConnection<String, String> onReplica = client.connect(replica.uri())) {
                awaitInSync(onReplica);
                counter.add(3);
                counter.flush();
                assertThat(onReplica.sync().get("tally:{replicated}:value")).isEqualTo("3");
            }
            replica.kill();
            counter.add(4);
            assertThatThrownBy(counter::flush).isInstanceOf(CounterUnavailableException.class)
                    .hasMessageContaining("NOREPLICAS 0 of 1 replicas acknowledged");
            assertThat(redis.value("replicated")).as("applied, not yet acknowledged").isEqualTo(7);
            replica.restart();
            try (StatefulRedisConnection<String, String> onReplica = client.connect(replica.uri())) {
                awaitInSync(onReplica);
                counter.flush();                     // the same batch again: applied once
                assertThat(redis.value("replicated")).isEqualTo(7);
                assertThat(onReplica.sync().get("tally:{replicated}:value")).isEqualTo("7");
            }
        }
    }

    @Test
    void waitForReplicasIsCheckedWhenBuilt() {
        RedisCounters.Builder builder = RedisCounters.builder(redis.client, redis.server.uri())
                .commandTimeout(Duration.ofMillis(100)).waitForReplicas(1, Duration.ofMillis(100));
        assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("shorter than the command timeout");
        assertThatThrownBy(() -> builder.waitForReplicas(0, Duration.ofMillis(10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
    }

    private static void awaitInSync(StatefulRedisConnection<String, String> replica) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!replica.sync().info("replication").contains("master_link_status:up")) {
            assertThat(System.nanoTime()).as("replica in sync within 30 s").isLessThan(deadline);
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }
}
