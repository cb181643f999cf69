package dev.tally.counter.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A three-master Redis Cluster on loopback, its slots assigned by the test: counters spread over
 * the masters through one {@link RedisCounters}, a counter's slot moved to another master while
 * it is being added to, and a plain client pointed at the wrong node.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
final class RedisClusterTest {

    private static final int MASTERS = 3;
    private static final List<RedisServer> nodes = new ArrayList<>();
    private static final List<StatefulRedisConnection<String, String>> admin = new ArrayList<>();
    private static RedisClient plain;
    private static RedisClusterClient cluster;

    @BeforeAll
    static void startCluster() {
        plain = RedisClient.create();
        for (int i = 0; i < MASTERS; i++) {
            RedisServer node = RedisServer.start(false, List.of("--cluster-enabled", "yes",
                    "--cluster-node-timeout", "5000"));
            nodes.add(node);
            admin.add(plain.connect(node.uri()));
        }
        int perNode = SlotHash.SLOT_COUNT / MASTERS + 1;
        for (int i = 0; i < MASTERS; i++) {
            int[] slots = IntStream.range(i * perNode, Math.min(SlotHash.SLOT_COUNT, (i + 1) * perNode)).toArray();
            admin(i).clusterAddSlots(slots);
            admin(0).clusterMeet("127.0.0.1", nodes.get(i).port());
        }
        for (int i = 0; i < MASTERS; i++) {
            awaitUntil(i, c -> c.clusterInfo().contains("cluster_state:ok"));
        }
        cluster = RedisClusterClient.create(ClientResources.create(), nodes.get(0).uri());
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.shutdown();
        }
        admin.forEach(StatefulRedisConnection::close);
        plain.shutdown();
        nodes.forEach(RedisServer::close);
    }

    @Test
    void countersSpreadOverTheMastersStayExact() {
        try (RedisCounters counters = RedisCounters.builder(cluster).build()) {
            long[] added = new long[30];
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < added.length; i++) {
                    counters.counter("spread-" + i).add(i + round);
                    added[i] += i + round;
                }
                counters.flush();
            }
            List<Integer> owners = new ArrayList<>();
            for (int i = 0; i < added.length; i++) {
                RedisCounter counter = counters.counter("spread-" + i);
                assertThat(counter.get()).isEqualTo(added[i]);
                assertThat(counter.getAndReset("spread-drain")).isEqualTo(added[i]);
                owners.add(owner(SlotHash.getSlot("spread-" + i)));
            }
            assertThat(owners).as("the counters live on every master").containsAll(List.of(0, 1, 2));
        }
    }

    @Test
    void aSlotMovedWhileItsCounterIsAddedToLosesNothing() throws Exception {
        String name = "moving";
        int slot = SlotHash.getSlot(name);
        int from = owner(slot);
        int to = (from + 1) % MASTERS;
        AtomicLong added = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        try (RedisCounters counters = RedisCounters.builder(cluster).flushInterval(Duration.ofMillis(2)).build()) {
            RedisCounter counter = counters.counter(name);
            counter.add(1);
            counter.flush();
            added.addAndGet(1);
            Thread writer = new Thread(() -> {
                while (!stop.get()) {
                    counter.increment();
                    added.incrementAndGet();
                    LockSupport.parkNanos(20_000);
                }
            });
            writer.start();
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            moveSlot(slot, from, to);
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            stop.set(true);
            writer.join();
            counter.flush();
            assertThat(owner(slot)).isEqualTo(to);
            assertThat(counter.get()).isEqualTo(added.get());
            assertThat(counter.getAndReset()).isEqualTo(added.get());
        }
    }

    @Test
    void aPlainClientOnTheWrongNodeIsRefusedAtOnce() {
        String name = "elsewhere";
        int wrong = (owner(SlotHash.getSlot(name)) + 1) % MASTERS;
        try (RedisCounters counters = RedisCounters.builder(plain, nodes.get(wrong).uri())
                .stalenessLimit(Duration.ofSeconds(30)).build()) {
            RedisCounter counter = counters.counter(name);
            counter.add(1);
            long start = System.nanoTime();
            assertThatThrownBy(counter::flush).isInstanceOf(CounterRejectedException.class)
                    .hasMessageContaining("MOVED");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            counter.owner().abandon();   // its 1 can never be sent through this client
        }
    }

    /** Moves {@code slot}, and the keys in it, from master {@code from} to master {@code to}. */
    private static void moveSlot(int slot, int from, int to) {
        String fromId = admin(from).clusterMyId();
        String toId = admin(to).clusterMyId();
        admin(to).clusterSetSlotImporting(slot, fromId);
        admin(from).clusterSetSlotMigrating(slot, toId);
        List<String> keys = admin(from).clusterGetKeysInSlot(slot, 100);
        while (!keys.isEmpty()) {
            admin(from).migrate("127.0.0.1", nodes.get(to).port(), 0, 5_000,
                    io.lettuce.core.MigrateArgs.Builder.keys(keys));
            keys = admin(from).clusterGetKeysInSlot(slot, 100);
        }
        for (int i = 0; i < MASTERS; i++) {
            admin(i).clusterSetSlotNode(slot, toId);
        }
    }

    /** The index of the master that owns {@code slot}, as that master's own view says. */
    private static int owner(int slot) {
        for (int i = 0; i < MASTERS; i++) {
            String id = admin(i).clusterMyId();
            String nodesView = admin(i).clusterNodes();
            for (String line : nodesView.split("\n")) {
                if (line.startsWith(id) && ownsSlot(line, slot)) {
                    return i;
                }
            }
        }
        throw new AssertionError("no master owns slot " + slot);
    }

    private static boolean ownsSlot(String nodesLine, int slot) {
        String[] fields = nodesLine.trim().split(" ");
        for (int f = 8; f < fields.length; f++) {
            if (fields[f].startsWith("[")) {
                continue;
            }
            String[] range = fields[f].split("-");
            int lo = Integer.parseInt(range[0]);
            int hi = range.length > 1 ? Integer.parseInt(range[1]) : lo;
            if (slot >= lo && slot <= hi) {
                return true;
            }
        }
        return false;
    }

    private static RedisCommands<String, String> admin(int i) {
        return admin.get(i).sync();
    }

    private static void awaitUntil(int node, java.util.function.Predicate<RedisCommands<String, String>> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!done.test(admin(node))) {
            assertThat(System.nanoTime() - deadline).as("node %d within 30 s", node).isNegative();
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }
}
