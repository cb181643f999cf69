package dev.tally.counter.redis;

import dev.tally.counter.Counter;
import dev.tally.counter.testkit.Promises;
import dev.tally.counter.testkit.ThreadSafeCounterContractTest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link RedisCounter} runs the contract suite of the in-process counters, against a real server,
 * with its differences declared: {@code get()} is an {@link Promises.Read#ESTIMATE} (adds of
 * other JVMs show after their flush; exact here once settled with {@link RedisCounter#flush()}),
 * its methods may throw {@link CounterUnavailableException} and {@link CounterRejectedException},
 * and {@code toString()} names the counter and server instead of reading the value.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
final class RedisCounterContractTest extends ThreadSafeCounterContractTest {

    @RegisterExtension
    static final TestRedis redis = TestRedis.perClass();

    private static final AtomicInteger made = new AtomicInteger();
    private static RedisCounters counters;

    @BeforeAll
    static void open() {
        counters = RedisCounters.builder(redis.client, redis.server.uri())
                .flushInterval(Duration.ofMillis(20)).shutdownHook(false).build();
    }

    @AfterAll
    static void close() {
        counters.close();
    }

    @Override
    protected Counter newCounter() {
        RedisCounter counter = counters.counter("contract-" + made.incrementAndGet());
        counter.reset();   // a server reused across runs may hold an old value under this name
        return counter;
    }

    @Override
    protected Promises promises() {
        return Promises.threadSafe(Promises.Read.ESTIMATE, Promises.Drain.EXACTLY_ONCE)
                .mayThrow(CounterUnavailableException.class)
                .mayThrow(CounterRejectedException.class)
                .mayThrow(IllegalStateException.class);
    }

    @Override
    protected long settledValue(Counter counter) {
        ((RedisCounter) counter).flush();
        return counter.get();
    }

    @Override
    protected String toStringLeavesOutTheValue() {
        return "reading the value is a round trip; toString() names the counter and its server";
    }
}
