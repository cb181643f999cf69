package dev.tally.counter.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(value = 2, unit = TimeUnit.MINUTES)
final class RedisCounterTest {

    @RegisterExtension
    static final TestRedis redis = TestRedis.perClass();

    private static String name(TestInfo test) {
        return test.getDisplayName();
    }

    @Test
    void flushAppliesEveryEarlierAddOnTheServer(TestInfo test) {
        try (RedisCounter counter = redis.counter(name(test)).flushInterval(Duration.ofHours(1)).build()) {
            counter.add(5);
            counter.add(-2);
            counter.increment();
            counter.flush();
            assertThat(redis.value(name(test))).isEqualTo(4);
        }
    }

    @Test
    void getReadsItsOwnWritesAtOnce(TestInfo test) {
        try (RedisCounter counter = redis.counter(name(test)).flushInterval(Duration.ofHours(1)).build()) {
            counter.add(41);
            assertThat(counter.get()).isEqualTo(41);
            counter.increment();
            assertThat(counter.get()).isEqualTo(42);
        }
    }

    @Test
    void addedInThisJvmCountsThisJvmsAddsSentOrNotAndNoDrainLowersIt(TestInfo test) {
        try (RedisCounter here = redis.counter(name(test)).flushInterval(Duration.ofHours(1)).build();
                RedisCounter elsewhere = redis.counter(name(test)).flushInterval(Duration.ofHours(1)).build()) {
            here.add(5);
            here.add(3);
            assertThat(here.addedInThisJvm()).as("pending, not sent").isEqualTo(8);
            here.flush();
            elsewhere.add(4);
            elsewhere.flush();
            assertThat(here.addedInThisJvm()).as("sent").isEqualTo(8);
            assertThat(elsewhere.getAndReset()).isEqualTo(12);
            here.add(1);
            assertThat(here.addedInThisJvm()).as("after a drain, by another counter").isEqualTo(9);
            assertThat(elsewhere.addedInThisJvm()).isEqualTo(4);
        }
    }

    @Test
    void addedInThisJvmSendsNoCommand(TestInfo test) {
        try (RedisCounter counter = redis.counter(name(test)).flushInterval(Duration.ofHours(1)).build()) {
            counter.add(7);
            counter.flush();
            counter.add(2);
            long before = commandsProcessed();
            long sum = 0L;
            for (int i = 0; i < 1_000; i++) {
                sum += counter.addedInThisJvm();
            }
            assertThat(sum).isEqualTo(9_000);
            // The first INFO itself is the one command counted in between.
            assertThat(commandsProcessed() - before).isEqualTo(1);
        }
    }

    private static long commandsProcessed() {
        String stats = redis.commands().info("stats");
        return Long.parseLong(stats.lines().filter(l -> l.startsWith("total_commands_processed:"))
                .findFirst().orElseThrow().substring("total_commands_processed:".length()).trim());
    }

    @Test
    void countersWithTheSameNameShareOneValue(TestInfo test) {
        try (RedisCounter a = redis.counter(name(test)).build();
                RedisCounter b = redis.counter(name(test)).build()) {
            a.add(10);
            b.add(-3);
            a.flush();
            assertThat(b.get()).isEqualTo(7);
        }
    }

    @Test
    void theFlusherSendsAddsWithinItsInterval(TestInfo test) {
        try (RedisCounter counter = redis.counter(name(test)).build()) {
            counter.add(7);
            awaitValue(name(test), 7);
        }
    }

    @Test
    void reachingTheThresholdFlushesBeforeTheInterval(TestInfo test) {
        try (RedisCounter counter = redis.counter(name(test))
                .flushInterval(Duration.ofHours(1)).flushThreshold(100).build()) {
            counter.add(150);
            awaitValue(name(test), 150);
            for (int i = 0; i < 1000; i++) {
                counter.add(1);   // small adds: the flusher's 10 ms check notices the sum
            }
            assertThat(redis.awaitValue(name(test), v -> v >= 250)).isBetween(250L, 1150L);
        }
    }

    @Test
    void closeSendsWhatIsPendingAndIsIdempotent(TestInfo test) {
        RedisCounter counter = redis.counter(name(test)).flushInterval(Duration.ofHours(1)).build();
        counter.add(3);
        counter.close();
        counter.close();
        assertThat(redis.value(name(test))).isEqualTo(3);
        assertThatIllegalStateException().isThrownBy(() -> counter.add(1)).withMessageContaining("closed");
        assertThatIllegalStateException().isThrownBy(counter::get).withMessageContaining("closed");
        assertThat(flusherThreads(name(test))).isZero();
    }

    @Test
    void aRetriedBatchIsAppliedOnce(TestInfo test) {
        try (Link link = Link.to(redis.client, redis.server.uri(), Duration.ofSeconds(2))) {
            assertThat(batch(link, name(test), 1, 5)).isEqualTo(5);
            assertThat(batch(link, name(test), 1, 5)).isEqualTo(5);
            assertThat(batch(link, name(test), 2, 5)).isEqualTo(10);
            assertThat(batch(link, name(test), 1, 5)).as("an old seq replayed late").isEqualTo(10);
        }
    }

    @Test
    void seqsCompareAsNumbersNotAsStrings(TestInfo test) {
        try (Link link = Link.to(redis.client, redis.server.uri(), Duration.ofSeconds(2))) {
            batch(link, name(test), 9, 1);
            assertThat(batch(link, name(test), 10, 1)).as("10 is newer than 9").isEqualTo(2);
            assertThat(batch(link, name(test), 9_007_199_254_740_993L, 1)).as("beyond a double's 2^53")
                    .isEqualTo(3);
            assertThat(batch(link, name(test), 9_007_199_254_740_992L, 1)).isEqualTo(3);
        }
    }

    @Test
    void aRetriedDrainReturnsItsFirstResultAndTakesNothingLater(TestInfo test) {
        try (RedisCounter counter = redis.counter(name(test)).build()) {
            counter.add(5);
            assertThat(counter.getAndReset("d1")).isEqualTo(5);
            counter.add(2);
            assertThat(counter.getAndReset("d1")).isEqualTo(5);
            assertThat(counter.get()).isEqualTo(2);
            assertThat(counter.getAndReset()).isEqualTo(2);
            assertThat(counter.get()).isZero();
        }
    }

    @Test
    void valuesBeyondADoubleStayExact(TestInfo test) {
        try (RedisCounter counter = redis.counter(name(test)).build()) {
            counter.add(9_007_199_254_740_993L);
            counter.add(2);
            assertThat(counter.get()).isEqualTo(9_007_199_254_740_995L);
            assertThat(counter.getAndReset()).isEqualTo(9_007_199_254_740_995L);
        }
    }

    @Test
    void overflowWrapsAsLongArithmeticDoes(TestInfo test) {
        String key = "tally:{" + name(test) + "}:value";
        try (RedisCounter counter = redis.counter(name(test)).build()) {
            redis.commands().set(key, Long.toString(Long.MAX_VALUE));
            counter.increment();
            assertThat(counter.get()).isEqualTo(Long.MIN_VALUE);
            counter.decrement();
            assertThat(counter.get()).isEqualTo(Long.MAX_VALUE);
            redis.commands().set(key, Long.toString(Long.MIN_VALUE));
            counter.add(Long.MIN_VALUE);
            assertThat(counter.get()).isZero();
            redis.commands().set(key, Long.toString(Long.MAX_VALUE));
            counter.add(Long.MAX_VALUE);
            assertThat(counter.get()).isEqualTo(-2);
            redis.commands().set(key, Long.toString(-2));
            counter.add(Long.MIN_VALUE);
            assertThat(counter.get()).isEqualTo(Long.MAX_VALUE - 1);
        }
    }

    @Test
    void aLostScriptCacheIsLoadedAgain(TestInfo test) {
        try (RedisCounter counter = redis.counter(name(test)).build()) {
            counter.add(1);
            counter.flush();
            redis.commands().scriptFlush();
            counter.add(1);
            assertThat(counter.get()).isEqualTo(2);
            redis.commands().scriptFlush();
            assertThat(counter.getAndReset()).isEqualTo(2);
        }
    }

    @Test
    void aValueKeyOverwrittenByAnotherProgramFailsLoudlyAndRecoversOnceRepaired(TestInfo test) {
        String key = "tally:{" + name(test) + "}:value";
        try (RedisCounter counter = redis.counter(name(test)).stalenessLimit(Duration.ofMillis(200)).build()) {
            redis.commands().set(key, "not a number");
            counter.add(1);
            long start = System.nanoTime();
            assertThatThrownBy(counter::flush).isInstanceOf(CounterRejectedException.class)
                    .hasMessageContaining("1 added here is kept")
                    .hasMessageContaining("ERR value is not an integer or out of range");
            assertThatThrownBy(counter::get).isInstanceOf(CounterRejectedException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("refusals are not retried")
                    .isLessThan(Duration.ofMillis(200));
            assertThat(counter.lastFailure()).get().asString().contains("not an integer");
            redis.commands().del(key);
            awaitValue(name(test), 1);   // the flusher kept retrying and was not ended by the errors
            assertThat(counter.get()).isEqualTo(1);
        }
    }

    @Test
    void concurrentClosesSendThePendingAddsOnce(TestInfo test) throws Exception {
        RedisCounter counter = redis.counter(name(test)).flushInterval(Duration.ofHours(1)).build();
        counter.add(7);
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> closers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread closer = new Thread(() -> {
                awaitQuietly(start);
                counter.close();
            });
            closer.start();
            closers.add(closer);
        }
        start.countDown();
        for (Thread closer : closers) {
            closer.join();
        }
        assertThat(redis.value(name(test))).isEqualTo(7);
        assertThat(flusherThreads(name(test))).isZero();
    }

    @Test
    void drainsCountEachAddExactlyOnceAcrossCountersAndThreads(TestInfo test) throws Exception {
        int writers = 4;
        int perWriter = 20_000;
        List<RedisCounter> counters = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            counters.add(redis.counter(name(test)).flushInterval(Duration.ofMillis(5)).build());
        }
        AtomicLong expected = new AtomicLong();
        AtomicLong drained = new AtomicLong();
        AtomicBoolean writing = new AtomicBoolean(true);
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            RedisCounter counter = counters.get(w % 2);
            int seed = w;
            threads.add(new Thread(() -> {
                awaitQuietly(start);
                long sum = 0;
                for (int i = 0; i < perWriter; i++) {
                    long delta = (i + seed) % 7 - 2;     // -2..4, both signs
                    counter.add(delta);
                    sum += delta;
                }
                expected.addAndGet(sum);
            }));
        }
        Thread drainer = new Thread(() -> {
            awaitQuietly(start);
            int drains = 0;
            while (writing.get() || drains < 3) {
                drained.addAndGet(counters.get(drains % 2).getAndReset());
                drains++;
            }
        });
        threads.forEach(Thread::start);
        drainer.start();
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        writing.set(false);
        drainer.join();
        for (RedisCounter counter : counters) {
            counter.close();
        }
        assertThat(drained.get() + redis.value(name(test))).isEqualTo(expected.get());
        assertThat(expected.get()).isNotZero();
    }

    @Test
    void badSettingsAreRejectedBeforeAnythingStarts() {
        RedisURI uri = redis.server.uri();
        assertThatNullPointerException().isThrownBy(() -> RedisCounter.builder(null, uri, "bad"))
                .withMessage("client");
        assertThatNullPointerException().isThrownBy(() -> RedisCounter.builder(redis.client, null, "bad"))
                .withMessage("server");
        assertThatNullPointerException().isThrownBy(() -> RedisCounter.builder(redis.client, uri, null))
                .withMessage("name");
        assertThatIllegalArgumentException().isThrownBy(() -> RedisCounter.builder(redis.client, uri, ""))
                .withMessageContaining("name");
        RedisCounter.Builder builder = RedisCounter.builder(redis.client, uri, "bad");
        assertThatIllegalArgumentException().isThrownBy(() -> builder.flushInterval(Duration.ZERO))
                .withMessageContaining("flushInterval").withMessageContaining("PT0S");
        assertThatIllegalArgumentException().isThrownBy(() -> builder.flushInterval(Duration.ofMillis(-5)))
                .withMessageContaining("PT-0.005S");
        assertThatIllegalArgumentException().isThrownBy(() -> builder.flushThreshold(0))
                .withMessageContaining("flushThreshold").withMessageContaining("0");
        assertThatIllegalArgumentException().isThrownBy(() -> builder.commandTimeout(Duration.ofSeconds(-1)))
                .withMessageContaining("commandTimeout");
        assertThatIllegalArgumentException().isThrownBy(() -> builder.stalenessLimit(Duration.ofSeconds(-1)))
                .withMessageContaining("stalenessLimit");
        assertThat(flusherThreads("bad")).as("no builder started a thread").isZero();
        try (RedisCounter built = redis.counter("bad").build()) {
            assertThatIllegalArgumentException().isThrownBy(() -> built.getAndReset(""))
                    .withMessageContaining("drainId");
            assertThat(flusherThreads("bad")).isOne();
        }
    }

    /** Applies batch {@code seq} of client "c1" to counter {@code name} as a flush does. */
    private static long batch(Link link, String name, long seq, long delta) {
        Keys keys = new Keys("tally:", name, "c1");
        String value = link.await(link.script(Scripts.ADD, Scripts.ADD_SHA, new String[] {keys.value, keys.seq},
                Scripts.addArgs(seq, delta)));
        return Long.parseLong(value);
    }

    private static void awaitValue(String name, long expected) {
        assertThat(redis.awaitValue(name, v -> v == expected)).isEqualTo(expected);
    }

    private static long flusherThreads(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("tally-redis-flusher-" + name)).count();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
