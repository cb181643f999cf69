package dev.tally.counter.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The edges where the first counter-redis broke: a drain that threw, an idle counter on a blip,
 * many callers during a stall, an interrupted close, a server that refuses, an unchecked name,
 * drain records that pile up. Each test failed on the code before the fix it names.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
final class RedisEdgesTest {

    private static final Duration TIMEOUT = Duration.ofMillis(100);

    @RegisterExtension
    final TestRedis redis = TestRedis.perTest(false);

    @Test
    void aDrainThatThrewIsFinishedByTheNextDrainWhateverItsId() {
        try (RedisCounter counter = redis.counter("report").commandTimeout(TIMEOUT)
                .stalenessLimit(Duration.ofMillis(300)).build()) {
            CounterUnavailableException failure = drainOfTenThatThrows(counter);
            assertThat(failure.drainId()).isPresent();
            assertThat(failure).hasMessageContaining(failure.drainId().get());
            redis.awaitPauseEnd();
            counter.add(1);
            assertThat(counter.getAndReset("report-1")).as("the lost drain's 10 and the new 1").isEqualTo(11);
            assertThat(counter.getAndReset("report-2")).isZero();
        }
        assertThat(redis.value("report")).isZero();
    }

    @Test
    void aDrainAfterTwoThatThrewTakesTheirValueAndWhatIsThereNow() {
        try (RedisCounter counter = redis.counter("twice").commandTimeout(TIMEOUT)
                .stalenessLimit(Duration.ofMillis(300)).build()) {
            TestRedis.getOnceReachable(counter);
            assertThat(counter.getAndReset()).as("loads the drain script").isZero();
            counter.add(10);
            counter.flush();
            redis.commands().clientPause(1_500);
            drainThatThrows(counter);
            drainThatThrows(counter);   // absorbs the first, if the server gets to run it
            redis.awaitPauseEnd();
            counter.add(1);
            assertThat(counter.getAndReset()).isEqualTo(11);
            counter.add(2);
            assertThat(counter.getAndReset()).as("a drain, not a replay of an old one").isEqualTo(2);
        }
    }

    @Test
    void closeAfterADrainThatThrewPutsItsValueBack() {
        try (RedisCounter counter = redis.counter("put-back").commandTimeout(TIMEOUT)
                .stalenessLimit(Duration.ofMillis(300)).build()) {
            drainOfTenThatThrows(counter);
            redis.awaitPauseEnd();
        }
        try (RedisCounter other = redis.counter("put-back").build()) {
            assertThat(other.getAndReset()).as("put back by close(), counted once").isEqualTo(10);
        }
        // What is left are the emptied records of the lost drain and of the put-back: fences
        // against a late copy of their drain, which expire after a day.
        assertThat(drainRecords("put-back")).as("close() deleted its records with a result")
                .allSatisfy(key -> assertThat(redis.commands().get(key)).as(key).isEmpty());
    }

    @Test
    void aDrainIdFromTheExceptionRecoversTheValueFromAnotherJvm() {
        RedisCounter crashed = redis.counter("recover").commandTimeout(TIMEOUT)
                .stalenessLimit(Duration.ofMillis(300)).shutdownHook(false).build();
        TestRedis.getOnceReachable(crashed);
        // Loads the drain script, so that the drain during the pause needs no EVAL after it.
        assertThat(crashed.getAndReset()).isZero();
        crashed.add(10);
        crashed.flush();
        redis.commands().clientPause(1_000);
        String id = drainThatThrows(crashed).drainId().orElseThrow();
        redis.awaitPauseEnd();             // the server runs the drain; its reply finds no caller
        crashed.owner().abandon();   // and the JVM dies: nothing more is sent
        try (RedisCounter recovering = redis.counter("recover").build()) {
            recovering.add(3);
            assertThat(recovering.getAndReset(id)).as("the drain the crashed JVM started").isEqualTo(10);
            assertThat(recovering.getAndReset()).isEqualTo(3);
        }
    }

    @Test
    void anIdleCounterRidesOutADroppedConnection() {
        try (RedisCounter counter = redis.counter("idle").commandTimeout(Duration.ofSeconds(2))
                .stalenessLimit(Duration.ofMillis(300)).build()) {
            counter.add(4);
            assertThat(counter.get()).isEqualTo(4);
            LockSupport.parkNanos(Duration.ofMillis(500).toNanos());   // idle past the limit
            redis.commands().clientKill(KillArgs.Builder.typeNormal());                 // every connection but this one
            assertThat(counter.get()).as("the limit runs from the call, not from the last reply").isEqualTo(4);
            redis.commands().clientKill(KillArgs.Builder.typeNormal());
            counter.add(1);
            assertThat(counter.getAndReset()).isEqualTo(5);
        }
    }

    @Test
    void getCallersDuringAStallEachWaitAtMostTwoTimeouts() throws Exception {
        int callers = 8;
        try (RedisCounter counter = redis.counter("stall").commandTimeout(TIMEOUT)
                .stalenessLimit(Duration.ofMinutes(1)).build()) {
            counter.add(6);
            assertThat(counter.get()).isEqualTo(6);
            redis.commands().clientPause(1_500);
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<long[]>> results = new ArrayList<>();
                for (int i = 0; i < callers; i++) {
                    Callable<long[]> call = () -> {
                        start.await();
                        long began = System.nanoTime();
                        long value = counter.get();
                        return new long[] {value, System.nanoTime() - began};
                    };
                    results.add(pool.submit(call));
                }
                start.countDown();
                for (Future<long[]> result : results) {
                    long[] valueAndNanos = result.get();
                    assertThat(valueAndNanos[0]).as("the estimate").isEqualTo(6);
                    assertThat(Duration.ofNanos(valueAndNanos[1])).as("one caller's wait")
                            .isLessThan(TIMEOUT.multipliedBy(2).plusMillis(150));
                }
            } finally {
                pool.shutdownNow();
            }
            redis.awaitPauseEnd();
        }
    }

    @Test
    void closeOnAnInterruptedThreadStillSendsAndKeepsTheInterrupt() {
        RedisCounter counter = redis.counter("interrupted").flushInterval(Duration.ofHours(1)).build();
        counter.add(5);
        Thread.currentThread().interrupt();
        counter.close();
        assertThat(Thread.interrupted()).as("the interrupt is still set").isTrue();
        assertThat(redis.value("interrupted")).isEqualTo(5);
    }

    @Test
    void aBatchOfUnknownOutcomeIsNotReportedAsNotSent() {
        RedisCounter counter = redis.counter("unknown").commandTimeout(TIMEOUT)
                .stalenessLimit(Duration.ofMillis(300)).build();
        counter.add(1);
        TestRedis.getOnceReachable(counter);
        redis.commands().clientPause(1_000);
        counter.add(5);
        assertThatThrownBy(counter::flush).isInstanceOf(CounterUnavailableException.class)
                .hasMessageContaining("5 is in a batch whose outcome is not known yet");
        assertThatThrownBy(counter::close).isInstanceOf(CounterUnavailableException.class)
                .hasMessageContaining("0 added here was not sent")
                .hasMessageContaining("5 is in a batch that Redis may have applied");
        redis.awaitPauseEnd();
        // Unknown indeed: the server drops a paused command whose connection closed (close() closes
        // it), and runs one whose connection stayed open.
        assertThat(redis.value("unknown")).isIn(1L, 6L);
    }

    @Test
    void aServerThatRefusesACommandFailsTheCallAtOnceAndNamesIt() {
        redis.commands().aclSetuser("no-incrby", io.lettuce.core.AclSetuserArgs.Builder.on()
                .addPassword("pw").allKeys().allCommands().removeCommand(io.lettuce.core.protocol.CommandType.INCRBY));
        RedisURI limited = RedisURI.builder(redis.server.uri()).withAuthentication("no-incrby", "pw").build();
        try (RedisCounter counter = RedisCounter.builder(redis.client, limited, "acl")
                .stalenessLimit(Duration.ofSeconds(30)).build()) {
            counter.add(1);
            long start = System.nanoTime();
            assertThatThrownBy(counter::flush).isInstanceOf(CounterRejectedException.class)
                    .hasMessageContaining("the add script")   // the command; then the server's words:
                    .hasMessageMatching("(?s).*(NOPERM|can.t run this command|no permissions).*")
                    .hasMessageContaining("1 added here is kept");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not retried for 30 s")
                    .isLessThan(Duration.ofSeconds(5));
            assertThat(counter.lastFailure()).isPresent();
            redis.commands().aclSetuser("no-incrby", io.lettuce.core.AclSetuserArgs.Builder
                    .addCommand(io.lettuce.core.protocol.CommandType.INCRBY));
            counter.flush();
            assertThat(counter.lastFailure()).isEmpty();
        }
        assertThat(redis.value("acl")).isEqualTo(1);
    }

    @Test
    void theReadmesPermissionsAreEnough() {
        // Exactly the list in the README's "ACL" paragraph.
        redis.commands().aclSetuser("tally-app", io.lettuce.core.AclSetuserArgs.Builder.on()
                .addPassword("pw").keyPattern("tally:*")
                .addCommand(io.lettuce.core.protocol.CommandType.EVALSHA)
                .addCommand(io.lettuce.core.protocol.CommandType.EVAL)
                .addCommand(io.lettuce.core.protocol.CommandType.GET)
                .addCommand(io.lettuce.core.protocol.CommandType.SET)
                .addCommand(io.lettuce.core.protocol.CommandType.INCRBY)
                .addCommand(io.lettuce.core.protocol.CommandType.DEL));
        RedisURI app = RedisURI.builder(redis.server.uri()).withAuthentication("tally-app", "pw").build();
        try (RedisCounters counters = RedisCounters.builder(redis.client, app).build()) {
            RedisCounter a = counters.counter("a");
            a.add(Long.MAX_VALUE);
            a.add(2);
            assertThat(a.get()).isEqualTo(Long.MIN_VALUE + 1);
            assertThat(a.getAndReset("day-1")).isEqualTo(Long.MIN_VALUE + 1);
            a.add(3);
            assertThat(a.getAndReset()).isEqualTo(3);
            a.close();
        }
        assertThat(redis.commands().keys("tally:*")).as("close() left only the value")
                .containsExactly("tally:{a}:value");
    }

    @Test
    void drainRecordsDoNotPileUp() {
        try (RedisCounter counter = redis.counter("records").build()) {
            for (int i = 0; i < 2_000; i++) {
                counter.increment();
                assertThat(counter.getAndReset()).isOne();
            }
            assertThat(drainRecords("records")).as("the last drain's record only").hasSize(1);
        }
    }

    @Test
    void namesIdsAndPrefixesThatWouldBreakTheKeysAreRejected() {
        RedisURI uri = redis.server.uri();
        for (String bad : List.of("{a", "a}", "a\nb", "x".repeat(201))) {
            assertThatIllegalArgumentException().isThrownBy(() -> RedisCounter.builder(redis.client, uri, bad))
                    .withMessageContaining("name").withMessageContaining(bad.substring(0, 1));
        }
        try (RedisCounters counters = RedisCounters.builder(redis.client, uri).keyPrefix("shop:").build()) {
            assertThatIllegalArgumentException().isThrownBy(() -> counters.counter("}:drain:x"))
                    .withMessageContaining("}:drain:x");
            RedisCounter orders = counters.counter("orders");
            assertThatIllegalArgumentException().isThrownBy(() -> orders.getAndReset("a}:b"))
                    .withMessageContaining("a}:b");
            assertThatIllegalArgumentException().isThrownBy(() -> orders.getAndReset(""))
                    .withMessageContaining("drainId");
            orders.add(2);
            orders.flush();
            assertThat(redis.commands().get("shop:{orders}:value")).isEqualTo("2");
        }
        assertThatIllegalArgumentException().isThrownBy(() -> RedisCounters.builder(redis.client, uri).keyPrefix("t{"))
                .withMessageContaining("t{");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RedisCounters.builder(redis.client, uri).flushInterval(Duration.ofNanos(1)))
                .withMessageContaining("flushInterval").withMessageContaining("1 ms");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RedisCounters.builder(redis.client, uri).commandTimeout(Duration.ofNanos(999_999)))
                .withMessageContaining("commandTimeout");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RedisCounters.builder(redis.client, uri).stalenessLimit(Duration.ofNanos(5)))
                .withMessageContaining("stalenessLimit");
    }

    /** Adds 10 and sends it, then pauses the server for a second and drains during the pause. */
    private CounterUnavailableException drainOfTenThatThrows(RedisCounter counter) {
        counter.add(10);
        TestRedis.getOnceReachable(counter);   // connected: a first connect may outlast 300 ms
        redis.commands().clientPause(1_000);
        return drainThatThrows(counter);
    }

    private static CounterUnavailableException drainThatThrows(RedisCounter counter) {
        try {
            counter.getAndReset();
        } catch (CounterUnavailableException e) {
            return e;
        }
        throw new AssertionError("getAndReset() during the pause did not throw");
    }

    private List<String> drainRecords(String name) {
        return redis.commands().keys("tally:{" + name + "}:drain:*");
    }
}
