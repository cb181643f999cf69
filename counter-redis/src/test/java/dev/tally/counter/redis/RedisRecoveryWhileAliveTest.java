package dev.tally.counter.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A drain whose reply was lost, recovered by its id from another JVM while the JVM that ran it
 * lives on: the value is counted once. Before drain records named their owner, the first JVM's
 * next drain absorbed the same record and returned its 10 again (20 counted for 10 added).
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
final class RedisRecoveryWhileAliveTest {

    @RegisterExtension
    final TestRedis redis = TestRedis.perTest(false);

    private RedisCounters.Builder factory(long timeoutMs, long stalenessMs) {
        return redis.factory(redis.server.uri(), timeoutMs, stalenessMs);
    }

    @Test
    void aDrainRecoveredByAnotherJvmIsNotTakenAgainByItsOwn() {
        try (RedisCounters jvm1 = factory(100, 300).build();
                RedisCounters jvm2 = factory(1_000, 5_000).build()) {
            RedisCounter mine = jvm1.counter("recovered");
            CounterUnavailableException lost =
                    TestRedis.sendThenLoseADrain(mine, 10, () -> redis.commands().clientPause(1_000));
            String id = lost.drainId().orElseThrow();
            assertThat(redis.awaitValue("recovered", v -> v == 0)).as("the lost drain ran").isZero();

            long recovered = jvm2.counter("recovered").getAndReset(id);
            long retriedByItsOwn = mine.getAndReset(id);
            long nextOwnDrain = mine.getAndReset();
            mine.add(3);
            long later = mine.getAndReset();

            assertThat(recovered).as("the other JVM recovers the lost drain").isEqualTo(10L);
            assertThat(retriedByItsOwn).as("its own retry, after the recovery").isZero();
            assertThat(nextOwnDrain).as("its own next drain, which absorbs undelivered drains").isZero();
            assertThat(later).as("drains go on as before").isEqualTo(3L);
        }
    }

    @Test
    void withoutARecoveryItsOwnNextDrainStillFinishesTheLostOne() {
        try (RedisCounters jvm1 = factory(100, 300).build()) {
            RedisCounter mine = jvm1.counter("unrecovered");
            TestRedis.sendThenLoseADrain(mine, 10, () -> redis.commands().clientPause(1_000));
            assertThat(redis.awaitValue("unrecovered", v -> v == 0)).isZero();
            mine.add(1);
            assertThat(mine.getAndReset()).as("the lost 10 and the new 1").isEqualTo(11L);
            assertThat(mine.getAndReset()).isZero();
        }
    }

    /**
     * A recovery that took a drain over and lost its own reply: a third JVM's recovery of the same
     * id says who holds the value, instead of returning 0 as if nothing were there (third review:
     * it returned 0 and the 10 stayed in the record), and the recoverer's retry returns it.
     */
    @Test
    void aSecondRecoveryOfARecoveredDrainThrowsNamingItsHolderWhoseRetryReturnsIt() {
        try (RedisCounters starter = factory(100, 300).build();
                RedisCounters recoverer = factory(100, 300).build();
                RedisCounters third = factory(1_000, 5_000).build()) {
            RedisCounter first = starter.counter("taken");
            String id = TestRedis.sendThenLoseADrain(first, 10, () -> redis.commands().clientPause(500))
                    .drainId().orElseThrow();
            redis.awaitPauseEnd();
            assertThat(redis.awaitValue("taken", v -> v == 0)).isZero();

            RedisCounter second = recoverer.counter("taken");
            TestRedis.getOnceReachable(second);
            second.getAndReset();
            redis.commands().clientPause(500);
            assertThat(catchThrowableOfType(CounterUnavailableException.class, () -> second.getAndReset(id)))
                    .as("the recovery's own reply is lost").isNotNull();
            redis.awaitPauseEnd();
            String record = redis.commands().get("tally:{taken}:drain:" + id);
            assertThat(record).as("taken over by the recoverer").endsWith("|10");

            assertThatThrownBy(() -> third.counter("taken").getAndReset(id))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("recovered by another client (" + record.substring(0, record.indexOf('|')) + ")");
            assertThat(second.getAndReset(id)).as("the recoverer's retry").isEqualTo(10L);
            assertThat(first.getAndReset(id)).as("the starter's retry").isZero();
        }
    }
}
