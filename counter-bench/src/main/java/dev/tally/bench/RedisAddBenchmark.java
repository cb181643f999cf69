package dev.tally.bench;

import dev.tally.counter.impl.StripedCounter;
import dev.tally.counter.redis.RedisCounter;
import dev.tally.counter.redis.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of one add to a count shared through Redis: {@link RedisCounter} (a local add, sent in
 * batches by its flusher thread, which runs during the measurement), one synchronous
 * {@code INCRBY} per add on a shared Lettuce connection (what a user would write instead), and the
 * in-process {@link StripedCounter} that {@code RedisCounter} buffers into (the floor). Each fork
 * starts its own {@code redis-server} on loopback.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RedisAddBenchmark {

    private RedisServer server;
    private RedisClient client;
    private RedisCounter redisCounter;
    private RedisCounter withThreshold;
    private StatefulRedisConnection<String, String> connection;
    private RedisCommands<String, String> commands;
    private final StripedCounter striped = new StripedCounter();

    /** Starts the server and connects. */
    @Setup(Level.Trial)
    public void start() {
        server = RedisServer.start(false);
        client = RedisClient.create();
        redisCounter = RedisCounter.builder(client, server.uri(), "bench").build();
        withThreshold = RedisCounter.builder(client, server.uri(), "bench-threshold")
                .flushThreshold(1_000_000L).build();
        connection = client.connect(server.uri());
        commands = connection.sync();
    }

    /** Closes everything and kills the server. */
    @TearDown(Level.Trial)
    public void stop() {
        redisCounter.close();
        withThreshold.close();
        connection.close();
        client.shutdown();
        server.close();
    }

    /** tally's Redis-backed counter with the default settings: a striped add and a flag read. */
    @Benchmark
    public void tallyRedis() {
        redisCounter.increment();
    }

    /**
     * The same with a flush threshold of 1,000,000: this benchmark's adds pass it within the 10 ms
     * between checks, so the counter flushes up to a hundred times a second instead of ten.
     */
    @Benchmark
    public void tallyRedisThreshold() {
        withThreshold.increment();
    }

    /** The floor: the local buffer alone. */
    @Benchmark
    public void tallyStriped() {
        striped.increment();
    }

    /** One round trip per add, as {@code INCRBY} without a buffer costs. */
    @Benchmark
    public long incrbyPerAdd() {
        return commands.incrby("tally:{bench-incrby}:value", 1);
    }
}
