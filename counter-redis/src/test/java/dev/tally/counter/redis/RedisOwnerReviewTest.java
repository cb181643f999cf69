package dev.tally.counter.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * Adversarial review of b8246ed (drain records owner|creator|result): the tests marked "Broke
 * b8246ed" failed there and pass since the origin flag, the owner-checked deletes and put-back,
 * and the fences left to expire; the others held.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
final class RedisOwnerReviewTest {

    @RegisterExtension
    final TestRedis redis = TestRedis.perTest(false);

    /**
     * A recovery of a drain that another recovery took over: since 50fb466 it throws, naming the
     * client that holds the value, instead of returning 0; counted as 0 here.
     */
    private static long secondRecovery(java.util.function.LongSupplier recovery) {
        try {
            return recovery.getAsLong();
        } catch (IllegalStateException taken) {
            assertThat(taken).hasMessageContaining("was recovered by another client");
            return 0L;
        }
    }

    // ---------------------------------------------------------------- breaks

    /**
     * Broke b8246ed (promise 1, "nothing is lost"): the creator's close() deletes, with a plain DEL, the
     * record of a drain that another JVM took over. If that JVM's recovery reply was lost, its
     * retry (or its next drain's absorb) then finds no record: the 10 is gone.
     */
    @Test
    void creatorsCloseDeletesTheRecordItsRecovererOwns() {
        String name = "closedel";
        try (RedisCounters jvm1 = redis.factory(redis.server.uri(), 100, 300).build();
                RedisCounters jvm2 = redis.factory(redis.server.uri(), 100, 300).build()) {
            RedisCounter mine = jvm1.counter(name);
            String id = redis.loseADrainOfTen(mine, "tally:", name);
            RedisCounter other = jvm2.counter(name);
            TestRedis.getOnceReachable(other);
            other.getAndReset();                  // loads nothing new, connects
            redis.commands().clientPause(500);
            CounterUnavailableException recoveryLost =
                    catchThrowableOfType(CounterUnavailableException.class, () -> other.getAndReset(id));
            assertThat(recoveryLost).as("the recovery's reply is lost").isNotNull();
            redis.awaitPauseEnd();
            Map<String, String> afterRecovery = redis.drainRecords(name);
            mine.close();                         // the creator closes, alive and well
            Map<String, String> afterClose = redis.drainRecords(name);
            long recovered = other.getAndReset(id);   // the recoverer retries, as the exception says
            long next = other.getAndReset();
            System.out.println("REVIEW closedel recovered=" + recovered + " next=" + next
                    + " afterRecovery=" + afterRecovery + " afterClose=" + afterClose);
            assertThat(recovered + next).as("10 added; records after the recovery " + afterRecovery
                    + ", after the creator's close " + afterClose).isEqualTo(10L);
        }
    }

    /**
     * Broke b8246ed (promise 1): the creator's drain never reached the server (held, then dropped); another
     * JVM recovers its id, which runs it there first (record B|B|10). The creator's own retry by id
     * is then taken for a third client's: it takes the record over and returns the 10 again.
     */
    @Test
    void creatorsRetryAfterARecoveryThatRanTheDrainFirst() throws Exception {
        String name = "ranfirst";
        try (HoldingProxy proxy = new HoldingProxy(redis.server.port());
                RedisCounters jvm1 = redis.factory(proxy.uri(), 100, 300).build();
                RedisCounters jvm2 = redis.factory(redis.server.uri(), 1_000, 5_000).build()) {
            RedisCounter mine = jvm1.counter(name);
            CounterUnavailableException lost = TestRedis.sendThenLoseADrain(mine, 10, proxy::hold);
            String id = lost.drainId().orElseThrow();
            proxy.drop();                         // it never reaches the server
            long recovered = jvm2.counter(name).getAndReset(id);
            Map<String, String> afterRecovery = redis.drainRecords(name);
            TestRedis.getOnceReachable(mine);     // reconnected
            long retriedByItsOwn = mine.getAndReset(id);
            long nextOwn = mine.getAndReset();
            System.out.println("REVIEW ranfirst recovered=" + recovered + " retriedByItsOwn=" + retriedByItsOwn
                    + " nextOwn=" + nextOwn + " afterRecovery=" + afterRecovery + " now=" + redis.drainRecords(name));
            assertThat(recovered).isEqualTo(10L);
            assertThat(recovered + retriedByItsOwn + nextOwn).as("10 added").isEqualTo(10L);
        }
    }

    /**
     * Broke b8246ed (promise 1, "a late copy takes nothing"): the creator's drain is delayed in the network;
     * another JVM recovers the id meanwhile (runs it first, B|B|10); the late copy then arrives, is
     * taken for a third client's replay and takes the record over; the creator's next drain absorbs it.
     */
    @Test
    void aLateCopyOfTheCreatorsDrainAfterARecoveryIsCountedAgain() throws Exception {
        String name = "latecopy";
        try (HoldingProxy proxy = new HoldingProxy(redis.server.port());
                RedisCounters jvm1 = redis.factory(proxy.uri(), 100, 300).build();
                RedisCounters jvm2 = redis.factory(redis.server.uri(), 1_000, 5_000).build()) {
            RedisCounter mine = jvm1.counter(name);
            CounterUnavailableException lost = TestRedis.sendThenLoseADrain(mine, 10, proxy::hold);
            String id = lost.drainId().orElseThrow();
            long recovered = jvm2.counter(name).getAndReset(id);
            Map<String, String> afterRecovery = redis.drainRecords(name);
            proxy.release();                      // the late copies arrive
            LockSupport.parkNanos(Duration.ofMillis(300).toNanos());
            Map<String, String> afterLate = redis.drainRecords(name);
            long nextOwn = mine.getAndReset();
            System.out.println("REVIEW latecopy recovered=" + recovered + " nextOwn=" + nextOwn
                    + " afterRecovery=" + afterRecovery + " afterLate=" + afterLate);
            assertThat(recovered).isEqualTo(10L);
            assertThat(recovered + nextOwn).as("10 added; records " + afterLate).isEqualTo(10L);
        }
    }

    /**
     * Broke b8246ed (promise 1, counted once): two JVMs recover the same id (both were told it, or one
     * retried after the other): each takes the record over and each gets the 10.
     */
    @Test
    void twoRecoveriesOfOneIdFromTwoJvms() {
        String name = "tworec";
        try (RedisCounters jvm1 = redis.factory(redis.server.uri(), 100, 300).build();
                RedisCounters jvm2 = redis.factory(redis.server.uri(), 1_000, 5_000).build();
                RedisCounters jvm3 = redis.factory(redis.server.uri(), 1_000, 5_000).build()) {
            RedisCounter mine = jvm1.counter(name);
            String id = redis.loseADrainOfTen(mine, "tally:", name);
            long a = jvm2.counter(name).getAndReset(id);
            long b = secondRecovery(() -> jvm3.counter(name).getAndReset(id));
            long own = mine.getAndReset(id) + mine.getAndReset();
            System.out.println("REVIEW tworec jvm2=" + a + " jvm3=" + b + " own=" + own + " records=" + redis.drainRecords(name));
            assertThat(a + b + own).as("10 added").isEqualTo(10L);
        }
    }

    // ---------------------------------------------------------------- held

    /** Held: the creator's next drain and a recovery, started together, count the 10 once. */
    @Test
    void recoveryRacingTheCreatorsNextDrainCountsOnce() throws Exception {
        String name = "race";
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (RedisCounters jvm1 = redis.factory(redis.server.uri(), 100, 300).build();
                RedisCounters jvm2 = redis.factory(redis.server.uri(), 1_000, 5_000).build()) {
            RedisCounter mine = jvm1.counter(name);
            RedisCounter other = jvm2.counter(name);
            TestRedis.getOnceReachable(other);
            List<String> outcomes = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                String id = redis.loseADrainOfTen(mine, "tally:", name);
                mine.add(1);
                mine.flush();
                CountDownLatch go = new CountDownLatch(1);
                Future<Long> own = pool.submit(() -> {
                    go.await();
                    return mine.getAndReset();
                });
                Future<Long> rec = pool.submit(() -> {
                    go.await();
                    return other.getAndReset(id);
                });
                go.countDown();
                long o = own.get();
                long r = rec.get();
                long rest = mine.getAndReset() + other.getAndReset();
                outcomes.add("own=" + o + " rec=" + r + " rest=" + rest);
                assertThat(o + r + rest).as("round " + round + ": 11 added; " + outcomes).isEqualTo(11L);
            }
            System.out.println("REVIEW race " + outcomes);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Held: recovering a drain the creator already absorbed returns 0; records do not pile up. */
    @Test
    void recoveryOfAnAbsorbedDrainAndLostTwiceAndRecords() {
        String name = "absorbed";
        try (RedisCounters jvm1 = redis.factory(redis.server.uri(), 100, 300).build();
                RedisCounters jvm2 = redis.factory(redis.server.uri(), 1_000, 5_000).build()) {
            RedisCounter mine = jvm1.counter(name);
            RedisCounter other = jvm2.counter(name);
            String id = redis.loseADrainOfTen(mine, "tally:", name);
            mine.add(1);
            long own = mine.getAndReset();
            long late = other.getAndReset(id);
            System.out.println("REVIEW absorbed own=" + own + " lateRecovery=" + late);
            assertThat(own).isEqualTo(11L);
            assertThat(late).isZero();

            // lost twice in a row: the second absorbs the first; recover both ids from the other JVM
            String first = redis.loseADrainOfTen(mine, "tally:", name);
            mine.add(5);
            mine.flush();
            redis.commands().clientPause(500);
            String second = catchThrowableOfType(CounterUnavailableException.class, mine::getAndReset)
                    .drainId().orElseThrow();
            redis.awaitPauseEnd();
            long r1 = other.getAndReset(first);
            long r2 = other.getAndReset(second);
            long ownNext = mine.getAndReset();
            System.out.println("REVIEW lostTwice r1=" + r1 + " r2=" + r2 + " ownNext=" + ownNext + " " + redis.drainRecords(name));
            assertThat(r1 + r2 + ownNext).isEqualTo(15L);

            for (int i = 0; i < 200; i++) {
                mine.increment();
                other.increment();
                mine.flush();
                other.flush();
                assertThat(mine.getAndReset() + other.getAndReset()).isEqualTo(2L);
            }
            Map<String, String> left = redis.drainRecords(name);
            System.out.println("REVIEW records after 400 drains: " + left.size() + " " + left);
            // Emptied records of absorbed drains stay until they expire (a day): fences against
            // a late copy of their drain. Records with a result: one per client's last drain.
            assertThat(left.values().stream().filter(v -> !v.isEmpty()).count())
                    .as("records with a result: one per client's last drain").isLessThanOrEqualTo(2);
            assertThat(left).as("with the fences of the 2 absorbed drains").hasSizeLessThanOrEqualTo(4);
        }
    }

    /**
     * Broke b8246ed (promise 1, "nothing is lost", across an upgrade): a record written by the release
     * before b8246ed is the bare result ("10"). The new script parses it as no owner: a recovery by
     * id returns "=" (0) and an absorb empties it without counting it. Here the record is written as
     * the old DRAIN script wrote it (SET record result EX 86400) after that drain took the 10.
     */
    @Test
    void aRecordOfThePreviousReleaseIsRecoveredAsZero() {
        String name = "legacy";
        try (RedisCounters jvm2 = redis.factory(redis.server.uri(), 1_000, 5_000).build()) {
            redis.commands().set("tally:{" + name + "}:value", "0");
            redis.commands().set("tally:{" + name + "}:drain:old-jvm-drain", "10", io.lettuce.core.SetArgs.Builder.ex(86_400));
            long recovered = jvm2.counter(name).getAndReset("old-jvm-drain");
            long again = jvm2.counter(name).getAndReset();
            System.out.println("REVIEW legacy recovered=" + recovered + " again=" + again + " " + redis.drainRecords(name));
            assertThat(recovered + again).as("the old release's drain took 10").isEqualTo(10L);
        }
    }

    /**
     * Broke b8246ed (promise 1, "a late copy of an absorbed drain takes nothing"; not new in b8246ed, the DEL
     * of '' records was there before): the creator's drain is held in the network, its connection
     * cut; the next drain absorbs it (writes the '' fence) and the one after deletes the fence as a
     * delivered record. The late copy then arrives, finds no record, runs as a fresh drain and takes
     * the 7 added since: nobody is left to return it.
     */
    @Test
    void aLateCopyAfterTheFenceWasDeletedTakesWhatIsThereNow() throws Exception {
        String name = "fence";
        try (HoldingProxy proxy = new HoldingProxy(redis.server.port());
                RedisCounters jvm1 = redis.factory(proxy.uri(), 100, 300).build()) {
            RedisCounter mine = jvm1.counter(name);
            CounterUnavailableException lost = TestRedis.sendThenLoseADrain(mine, 10, proxy::hold);
            proxy.detach();                       // the held copy stays on its way to the server
            TestRedis.getOnceReachable(mine);     // reconnected through a new connection
            long d2 = mine.getAndReset();         // absorbs the lost one (fence ''), takes the 10
            mine.add(1);
            long d3 = mine.getAndReset();         // deletes the fence
            mine.add(7);
            mine.flush();
            proxy.releaseDetached();              // the late copy arrives
            LockSupport.parkNanos(Duration.ofMillis(300).toNanos());
            long valueAfterLate = redis.value(name);
            long d4 = mine.getAndReset();
            long d5 = mine.getAndReset();
            System.out.println("REVIEW fence d2=" + d2 + " d3=" + d3 + " valueAfterLate=" + valueAfterLate
                    + " d4=" + d4 + " d5=" + d5 + " records=" + redis.drainRecords(name));
            assertThat(d2 + d3 + d4 + d5).as("18 added; value after the late copy " + valueAfterLate
                    + ", records " + redis.drainRecords(name)).isEqualTo(18L);
        }
    }
    /**
     * Broke b8246ed (promise 1): a recovery whose own reply was lost is recovered in turn by a third JVM
     * (its exception names the id, and says another JVM can recover it), while the first recoverer
     * lives: the '-' rule protects only the creator, so the first recoverer's retry takes the
     * record back and gets the 10 again.
     */
    @Test
    void aLostRecoveryRecoveredByAThirdJvmIsCountedAgainByTheFirstRecoverersRetry() {
        String name = "rerec";
        try (RedisCounters jvm1 = redis.factory(redis.server.uri(), 100, 300).build();
                RedisCounters jvm2 = redis.factory(redis.server.uri(), 100, 300).build();
                RedisCounters jvm3 = redis.factory(redis.server.uri(), 1_000, 5_000).build()) {
            RedisCounter mine = jvm1.counter(name);
            String id = redis.loseADrainOfTen(mine, "tally:", name);
            RedisCounter second = jvm2.counter(name);
            TestRedis.getOnceReachable(second);
            second.getAndReset();
            redis.commands().clientPause(500);
            CounterUnavailableException lost =
                    catchThrowableOfType(CounterUnavailableException.class, () -> second.getAndReset(id));
            assertThat(lost).isNotNull();
            redis.awaitPauseEnd();
            long third = secondRecovery(() -> jvm3.counter(name).getAndReset(lost.drainId().orElseThrow()));
            long secondRetry = second.getAndReset(id);
            long secondNext = second.getAndReset();
            long own = mine.getAndReset();
            System.out.println("REVIEW rerec third=" + third + " secondRetry=" + secondRetry
                    + " secondNext=" + secondNext + " own=" + own + " " + redis.drainRecords(name));
            assertThat(third + secondRetry + secondNext + own).as("10 added").isEqualTo(10L);
        }
    }

    /** Variant of two recoveries: the creator's JVM through a second factory, then another JVM. */
    @Test
    void recoveryThroughASecondFactoryOfTheSameJvmThenAnotherJvm() {
        String name = "samejvm";
        try (RedisCounters jvm1 = redis.factory(redis.server.uri(), 100, 300).build();
                RedisCounters jvm1b = redis.factory(redis.server.uri(), 1_000, 5_000).build();
                RedisCounters jvm2 = redis.factory(redis.server.uri(), 1_000, 5_000).build()) {
            RedisCounter mine = jvm1.counter(name);
            String id = redis.loseADrainOfTen(mine, "tally:", name);
            long sameJvm = jvm1b.counter(name).getAndReset(id);
            long own = mine.getAndReset(id) + mine.getAndReset();
            long otherJvm = secondRecovery(() -> jvm2.counter(name).getAndReset(id));
            System.out.println("REVIEW samejvm secondFactory=" + sameJvm + " own=" + own + " otherJvm=" + otherJvm);
            assertThat(sameJvm + own + otherJvm).as("10 added").isEqualTo(10L);
        }
    }
    /**
     * Broke b8246ed (promise 1): close()'s put-back batch (ADD that empties the put-back record) is held in
     * the network; close() gives up naming the put-back id; another JVM recovers that id (takes the
     * record over, gets 10); then the late put-back batch lands: it adds the 10 back to the value and
     * empties the record without looking at its owner. The 10 is counted twice.
     */
    @Test
    void aLatePutBackBatchAfterTheRecoveryOfThePutBackId() throws Exception {
        String name = "lateputback";
        try (HoldingProxy proxy = new HoldingProxy(redis.server.port());
                RedisCounters jvm1 = redis.factory(proxy.uri(), 100, 300).build();
                RedisCounters jvm2 = redis.factory(redis.server.uri(), 1_000, 5_000).build()) {
            RedisCounter mine = jvm1.counter(name);
            String lostId = redis.loseADrainOfTen(mine, "tally:", name);
            proxy.holdWhenSeen(Scripts.ADD_SHA);  // the put-back batch, and every retry of it
            CounterUnavailableException close = catchThrowableOfType(CounterUnavailableException.class, mine::close);
            assertThat(close).as("close() gave up on the held put-back batch").isNotNull();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("getAndReset\\(\"([^\"]+)\"\\)")
                    .matcher(close.getMessage());
            List<String> named = new ArrayList<>();
            while (m.find()) {
                named.add(m.group(1));
            }
            Map<String, String> beforeRecovery = redis.drainRecords(name);
            long recovered = 0;
            for (String id : named) {
                recovered += jvm2.counter(name).getAndReset(id);
            }
            proxy.release();                      // the late put-back batch lands
            LockSupport.parkNanos(Duration.ofMillis(300).toNanos());
            long valueAfterLate = redis.value(name);
            long rest = jvm2.counter(name).getAndReset();
            System.out.println("REVIEW lateputback lostId=" + lostId + " named=" + named + " recovered=" + recovered
                    + " valueAfterLate=" + valueAfterLate + " rest=" + rest + " before=" + beforeRecovery
                    + "\n  close: " + close.getMessage());
            assertThat(recovered + rest).as("10 added; close said: " + close.getMessage()).isEqualTo(10L);
        }
    }
}
