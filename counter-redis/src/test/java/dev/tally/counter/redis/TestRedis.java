package dev.tally.counter.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A server, a client that reconnects every 50 ms (Lettuce's default backs off to 30 s, longer
 * than a test should wait after a restart) and a plain connection for checking the keys. Tests
 * register it with {@code @RegisterExtension}, which starts and stops it around the class or
 * each test.
 */
final class TestRedis implements AutoCloseable, BeforeAllCallback, AfterAllCallback,
        BeforeEachCallback, AfterEachCallback {

    private final boolean appendOnly;
    private final boolean perTest;
    RedisServer server;
    RedisClient client;
    private StatefulRedisConnection<String, String> raw;

    private TestRedis(boolean appendOnly, boolean perTest) {
        this.appendOnly = appendOnly;
        this.perTest = perTest;
    }

    /** One server for a whole test class: register on a static field. */
    static TestRedis perClass() {
        return new TestRedis(false, false);
    }

    /** A fresh server for each test, with an append-only file when asked: register on a field. */
    static TestRedis perTest(boolean appendOnly) {
        return new TestRedis(appendOnly, true);
    }

    /** A server started now, outside JUnit; the caller closes it. */
    static TestRedis started() {
        TestRedis redis = new TestRedis(false, false);
        redis.start();
        return redis;
    }

    private void start() {
        server = RedisServer.start(appendOnly);
        client = RedisClient.create(ClientResources.builder()
                .reconnectDelay(Delay.constant(Duration.ofMillis(50))).build());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (!perTest) {
            start();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (!perTest) {
            close();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (perTest) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (perTest) {
            close();
        }
    }

    /** A builder for a counter on this server, flushing every 20 ms. */
    RedisCounter.Builder counter(String name) {
        return RedisCounter.builder(client, server.uri(), name).flushInterval(Duration.ofMillis(20));
    }

    /** Plain commands on this server, for reading and setting keys behind a counter's back. */
    RedisCommands<String, String> commands() {
        if (raw == null || !raw.isOpen()) {
            raw = client.connect(server.uri());
        }
        return raw.sync();
    }

    /** The value key of the counter named {@code name}, as a number (0 when absent). */
    long value(String name) {
        String v = commands().get("tally:{" + name + "}:value");
        return v == null ? 0L : Long.parseLong(v);
    }

    /**
     * A factory on {@code uri} with the given command timeout and staleness limit (ms), flushing
     * every 20 ms, without a shutdown hook: the review tests' set-up.
     */
    RedisCounters.Builder factory(RedisURI uri, long timeoutMs, long stalenessMs) {
        return RedisCounters.builder(client, uri).commandTimeout(Duration.ofMillis(timeoutMs))
                .stalenessLimit(Duration.ofMillis(stalenessMs)).flushInterval(Duration.ofMillis(20))
                .shutdownHook(false);
    }

    /**
     * Brings {@code counter} to a state where its next drain can be lost: connected, its scripts
     * loaded, {@code amount} added and sent. Then runs {@code cutOff} (a pause, a held proxy) and
     * returns the exception of the drain that the cut-off made throw.
     */
    static CounterUnavailableException sendThenLoseADrain(RedisCounter counter, long amount, Runnable cutOff) {
        getOnceReachable(counter);
        counter.getAndReset();                    // loads the script
        counter.add(amount);
        counter.flush();
        cutOff.run();
        CounterUnavailableException lost = catchThrowableOfType(CounterUnavailableException.class,
                counter::getAndReset);
        assertThat(lost).as("the drain after the cut-off threw").isNotNull();
        return lost;
    }

    /**
     * Adds 10 to {@code counter} (named {@code name}, keys under {@code prefix}), sends it, and
     * loses a drain's reply to a 500 ms pause; returns the drain's id once the drain has run.
     */
    String loseADrainOfTen(RedisCounter counter, String prefix, String name) {
        String id = sendThenLoseADrain(counter, 10, () -> commands().clientPause(500)).drainId().orElseThrow();
        awaitPauseEnd();
        String valueKey = prefix + "{" + name + "}:value";
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!"0".equals(commands().get(valueKey)) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(Duration.ofMillis(1).toNanos());
        }
        assertThat(commands().get(valueKey)).as("the lost drain ran").isEqualTo("0");
        return id;
    }

    /** The drain records of the counter named {@code name} under {@code prefix}, by drain id. */
    Map<String, String> drainRecords(String prefix, String name) {
        Map<String, String> records = new TreeMap<>();
        for (String k : commands().keys(prefix + "{" + name + "}:drain:*")) {
            records.put(k.substring(k.indexOf(":drain:") + 7), commands().get(k));
        }
        return records;
    }

    /** {@link #drainRecords(String, String)} under the default prefix. */
    Map<String, String> drainRecords(String name) {
        return drainRecords("tally:", name);
    }

    /**
     * Every key of the counter named {@code name} but its value (drain records, seq and drain
     * number keys), by what follows the name's braces.
     */
    Map<String, String> keysBesideTheValue(String name) {
        Map<String, String> keys = new TreeMap<>();
        for (String k : commands().keys("tally:{" + name + "}:*")) {
            if (!k.endsWith(":value")) {
                keys.put(k.substring(k.indexOf("}:") + 2), String.valueOf(commands().get(k)));
            }
        }
        return keys;
    }

    /**
     * Starts a script that keeps the server answering BUSY (past a 100 ms busy threshold) until
     * {@link #endBusy()}; returns the connection that runs it.
     */
    StatefulRedisConnection<String, String> busy() {
        commands().configSet("busy-reply-threshold", "100");
        StatefulRedisConnection<String, String> blocker = client.connect(server.uri());
        blocker.async().eval("local i = 0 while true do i = i + 1 end", ScriptOutputType.INTEGER);
        LockSupport.parkNanos(Duration.ofMillis(250).toNanos());
        return blocker;
    }

    /** Kills the script of {@link #busy()} and returns once the server answers again. */
    void endBusy() {
        try (StatefulRedisConnection<String, String> killer = client.connect(server.uri())) {
            killer.sync().scriptKill();
        }
        awaitPauseEnd();
    }

    /** Returns once the server answers again (a paused server holds this command too). */
    void awaitPauseEnd() {
        while (true) {
            try {
                commands().ping();
                return;
            } catch (RedisCommandTimeoutException stillPaused) {
                // the raw connection's timeout is shorter than some pauses: ask again
            }
        }
    }

    /**
     * Polls the value of the counter named {@code name} every millisecond until {@code done}
     * accepts it or 30 s pass; returns the last value read, for the caller to assert on.
     */
    long awaitValue(String name, LongPredicate done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long value = value(name);
        while (!done.test(value) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(Duration.ofMillis(1).toNanos());
            value = value(name);
        }
        return value;
    }

    /**
     * {@code get()}, retried while the server cannot be reached (a restart, or the JVM's first
     * round trip outlasting a short command timeout), for at most 30 seconds.
     */
    static long getOnceReachable(RedisCounter counter) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                return counter.get();
            } catch (CounterUnavailableException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
                LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
            }
        }
    }

    @Override
    public void close() {
        if (raw != null) {
            raw.close();
            raw = null;
        }
        ClientResources resources = client.getResources();
        client.shutdown();
        resources.shutdown();
        server.close();
    }
}
