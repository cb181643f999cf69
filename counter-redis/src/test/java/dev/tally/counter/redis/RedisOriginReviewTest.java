package dev.tally.counter.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Adversarial review of f9a39a1 (drain records with an origin flag): the tests whose comment
 * says "Promise" failed there and pass since a call keeps its role for every attempt, a drain
 * that threw while claiming an id is absorbed as a claim, a put-back needs its own record, and
 * drains carry a number per call; the others held. (A sixth, an id the caller chose, claimed by
 * the caller's own call and by another JVM's recovery before either returned, is the window the
 * javadoc of RedisCounter#getAndReset(String) names.)
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
final class RedisOriginReviewTest {

    @RegisterExtension
    final TestRedis redis = TestRedis.perTest(false);

    /**
     * Runs {@code counter.getAndReset(id)} while the server answers BUSY (a script runs past the
     * busy threshold): its first attempt is sent and refused, not run; a script kill ends the busy
     * spell and the call's retry, which now carries origin=1 (the id was sent), runs. Returns the
     * call's result.
     */
    private long recoverThroughABusyServer(RedisCounter counter, String id) throws Exception {
        redis.commands().configSet("busy-reply-threshold", "100");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (StatefulRedisConnection<String, String> blocker = redis.client.connect(redis.server.uri());
                StatefulRedisConnection<String, String> killer = redis.client.connect(redis.server.uri())) {
            blocker.async().eval("local i = 0 while true do i = i + 1 end", ScriptOutputType.INTEGER);
            LockSupport.parkNanos(Duration.ofMillis(250).toNanos());
            Future<Long> call = pool.submit(() -> counter.getAndReset(id));
            LockSupport.parkNanos(Duration.ofMillis(300).toNanos());
            String killed = killer.sync().scriptKill();
            long result = call.get(20, TimeUnit.SECONDS);
            System.out.println("REVIEW busy: script kill " + killed + "; lastFailure before: "
                    + counter.lastFailure().map(Throwable::getMessage).orElse("none"));
            return result;
        } finally {
            pool.shutdownNow();
        }
    }

    // ---------------------------------------------------------------- breaks

    /**
     * Promise: a recovery (another client's getAndReset(id)) takes the record over from the client
     * that ran it. The recoverer's first attempt is refused with BUSY (sent, not run; a LOADING
     * after a restart does the same); its retry, in the same call, now carries origin=1 (the id was sent) and gets '-' from the
     * creator's record: the call returns 0. Its next drain skips the record too (not its own) and
     * forgets the id. The creator's JVM is gone (never used again here, as after a crash), so
     * nobody ever returns the 10: it sits in C|C|10 until it expires.
     */
    @Test
    void aRecoveryRetriedAfterABusyReplyReturnsNothing() throws Exception {
        String name = "recretry";
        try (RedisCounters crashed = redis.factory(redis.server.uri(), 100, 300).build();
                RedisCounters recoverer = redis.factory(redis.server.uri(), 100, 5_000).build()) {
            String id = redis.loseADrainOfTen(crashed.counter(name), "tally:", name);
            RedisCounter rec = recoverer.counter(name);
            TestRedis.getOnceReachable(rec);
            rec.getAndReset();                    // connected, script loaded
            long recovered = recoverThroughABusyServer(rec, id);
            long next = rec.getAndReset();
            long again = rec.getAndReset(id);     // a second retry by id
            Map<String, String> left = redis.drainRecords(name);
            System.out.println("REVIEW recretry recovered=" + recovered + " next=" + next + " again=" + again
                    + " records=" + left);
            // The call returned normally, so nothing tells its caller to try again ("again" is a
            // second retry by id: origin is 0 again once the id left the undelivered list).
            assertThat(recovered + next).as("the crashed JVM's drain took 10; records " + left)
                    .isEqualTo(10L);
        }
    }

    /**
     * Same, on a record of the previous release (bare "10", "anyone's"): the retry gets '-' and
     * the id goes to the delivered list; the recoverer's next drain then DELETEs the record (mine('')):
     * the 10 is gone for good, a second JVM's recovery returns 0.
     */
    @Test
    void aLegacyRecordRecoveryRetriedAfterABusyReplyIsDeleted() throws Exception {
        String name = "legacyretry";
        try (RedisCounters recoverer = redis.factory(redis.server.uri(), 100, 5_000).build();
                RedisCounters other = redis.factory(redis.server.uri(), 1_000, 5_000).build()) {
            redis.commands().set("tally:{" + name + "}:value", "0");
            redis.commands().set("tally:{" + name + "}:drain:old-jvm-drain", "10", SetArgs.Builder.ex(86_400));
            RedisCounter rec = recoverer.counter(name);
            TestRedis.getOnceReachable(rec);
            rec.getAndReset();
            long recovered = recoverThroughABusyServer(rec, "old-jvm-drain");
            Map<String, String> afterRecovery = redis.drainRecords(name);
            long next = rec.getAndReset();
            Map<String, String> afterNext = redis.drainRecords(name);
            long byOther = other.counter(name).getAndReset("old-jvm-drain");
            System.out.println("REVIEW legacyretry recovered=" + recovered + " next=" + next + " byOther=" + byOther
                    + " afterRecovery=" + afterRecovery + " afterNext=" + afterNext);
            assertThat(recovered + next + byOther).as("the old release's drain took 10").isEqualTo(10L);
        }
    }

    /**
     * Promise: a late copy of a drain takes nothing. A drain's first attempt is held in the network;
     * its retry, in the same call, on a new connection, succeeds (10). The next drain deletes its
     * record as delivered (only emptied records are kept as fences). The held copy then arrives,
     * finds no record, runs as a fresh drain and takes the 7 added since into a record that nobody
     * will deliver: the id is delivered, so no drain of this client absorbs it.
     */
    @Test
    void aLateCopyOfADeliveredDrainAfterItsRecordWasDeleted() throws Exception {
        String name = "latedelivered";
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (HoldingProxy proxy = new HoldingProxy(redis.server.port());
                RedisCounters jvm1 = redis.factory(proxy.uri(), 100, 5_000).build()) {
            RedisCounter mine = jvm1.counter(name);
            TestRedis.getOnceReachable(mine);
            mine.getAndReset();
            mine.add(10);
            mine.flush();
            proxy.hold();
            Future<Long> call = pool.submit(() -> mine.getAndReset());
            LockSupport.parkNanos(Duration.ofMillis(350).toNanos());
            proxy.detach();                       // held copies stay on their way to the server
            long d1 = call.get(20, TimeUnit.SECONDS);
            mine.add(1);
            long d2 = mine.getAndReset();         // deletes d1's record
            Map<String, String> beforeLate = redis.drainRecords(name);
            mine.add(7);
            mine.flush();
            proxy.releaseDetached();              // the late copies of d1 arrive
            LockSupport.parkNanos(Duration.ofMillis(300).toNanos());
            long valueAfterLate = redis.value(name);
            Map<String, String> afterLate = redis.drainRecords(name);
            long d3 = mine.getAndReset();
            long d4 = mine.getAndReset();
            System.out.println("REVIEW latedelivered d1=" + d1 + " d2=" + d2 + " valueAfterLate=" + valueAfterLate
                    + " d3=" + d3 + " d4=" + d4 + " beforeLate=" + beforeLate + " afterLate=" + afterLate);
            assertThat(d1 + d2 + d3 + d4).as("18 added; value after the late copy " + valueAfterLate
                    + ", records " + afterLate).isEqualTo(18L);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Promise: close()'s put-back batch adds nothing if another client took the put-back record
     * over. It checks the record's owner, but a missing record (or an emptied one) counts as
     * "anyone's": the recoverer's next drain deletes the taken-over record as delivered, and the
     * late put-back then adds the 10 back although the recoverer returned it.
     */
    @Test
    void aLatePutBackAfterTheRecovererDeletedThePutBackRecord() throws Exception {
        String name = "putbackdeleted";
        try (HoldingProxy proxy = new HoldingProxy(redis.server.port());
                RedisCounters jvm1 = redis.factory(proxy.uri(), 100, 300).build();
                RedisCounters jvm2 = redis.factory(redis.server.uri(), 1_000, 5_000).build()) {
            RedisCounter mine = jvm1.counter(name);
            redis.loseADrainOfTen(mine, "tally:", name);
            proxy.holdWhenSeen(Scripts.ADD_SHA);  // the put-back batch, and every retry of it
            CounterUnavailableException close = catchThrowableOfType(CounterUnavailableException.class, mine::close);
            assertThat(close).as("close() gave up on the held put-back batch").isNotNull();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("getAndReset\\(\"([^\"]+)\"\\)")
                    .matcher(close.getMessage());
            List<String> named = new ArrayList<>();
            while (m.find()) {
                named.add(m.group(1));
            }
            RedisCounter other = jvm2.counter(name);
            long recovered = 0;
            for (String id : named) {
                recovered += other.getAndReset(id);
            }
            long otherNext = other.getAndReset();  // deletes the records it delivered
            Map<String, String> beforeLate = redis.drainRecords(name);
            proxy.release();                      // the late put-back batch lands
            LockSupport.parkNanos(Duration.ofMillis(300).toNanos());
            long valueAfterLate = redis.value(name);
            long rest = other.getAndReset();
            System.out.println("REVIEW putbackdeleted named=" + named + " recovered=" + recovered
                    + " otherNext=" + otherNext + " valueAfterLate=" + valueAfterLate + " rest=" + rest
                    + " beforeLate=" + beforeLate);
            assertThat(recovered + otherNext + rest).as("10 added").isEqualTo(10L);
        }
    }

    // ---------------------------------------------------------------- held

    /**
     * Held: odd prefix and name (':client:' and '|' in both, '|' in the drain id): the put-back's
     * owner match on the seq key still finds this client, and a recovery by id works.
     */
    @Test
    void oddPrefixAndNamesKeepTheOwnerMatch() {
        String prefix = "p|x:client:";
        String name = "n|a:client:b|";
        String valueKey = prefix + "{" + name + "}:value";
        try (RedisCounters jvm1 = redis.factory(redis.server.uri(), 100, 300).keyPrefix(prefix).build();
                RedisCounters jvm2 = redis.factory(redis.server.uri(), 1_000, 5_000).keyPrefix(prefix).build()) {
            RedisCounter mine = jvm1.counter(name);
            redis.loseADrainOfTen(mine, prefix, name);
            mine.close();                         // puts the 10 back
            String afterClose = redis.commands().get(valueKey);
            RedisCounter other = jvm2.counter(name);
            other.add(3);
            long idDrain = other.getAndReset("id|with|bars:client:x");
            long replay = other.getAndReset("id|with|bars:client:x");
            System.out.println("REVIEW odd afterClose=" + afterClose + " idDrain=" + idDrain + " replay=" + replay
                    + " records=" + redis.drainRecords(prefix, name));
            assertThat(afterClose).isEqualTo("10");
            assertThat(idDrain).isEqualTo(13L);
            assertThat(replay).isEqualTo(13L);
        }
    }

    /**
     * Held: a legacy record in the undelivered lists of two clients (each one's recovery refused
     * BUSY until its call threw, never run): both next drains absorb it (mine('')); counted once.
     */
    @Test
    void aLegacyRecordAbsorbedByTwoClientsCountsOnce() {
        String name = "legacytwo";
        try (RedisCounters a = redis.factory(redis.server.uri(), 100, 300).build();
                RedisCounters b = redis.factory(redis.server.uri(), 100, 300).build()) {
            redis.commands().set("tally:{" + name + "}:value", "0");
            redis.commands().set("tally:{" + name + "}:drain:old", "10", SetArgs.Builder.ex(86_400));
            RedisCounter ca = a.counter(name);
            RedisCounter cb = b.counter(name);
            TestRedis.getOnceReachable(ca);
            TestRedis.getOnceReachable(cb);
            ca.getAndReset();
            cb.getAndReset();
            try (StatefulRedisConnection<String, String> blocker = redis.busy()) {
                assertThat(blocker.isOpen()).isTrue();
                assertThat(catchThrowableOfType(CounterUnavailableException.class, () -> ca.getAndReset("old")))
                        .isNotNull();
                assertThat(catchThrowableOfType(CounterUnavailableException.class, () -> cb.getAndReset("old")))
                        .isNotNull();
                redis.endBusy();
            }
            Map<String, String> before = redis.drainRecords(name);
            long fromA = ca.getAndReset();
            long fromB = cb.getAndReset();
            System.out.println("REVIEW legacytwo fromA=" + fromA + " fromB=" + fromB + " before=" + before
                    + " after=" + redis.drainRecords(name));
            assertThat(fromA + fromB).isEqualTo(10L);
        }
    }

    /**
     * Promise: a recovery takes the record over from the client that ran it. The recovery call
     * threw (BUSY past its staleness limit; never ran): its exception says "the next getAndReset
     * of this counter returns its value, or getAndReset(id) from any JVM". The next drain skips
     * the record (the creator owns it) and forgets the id; the retry by id carries origin=1 and
     * gets '-'. The creator's JVM is gone (crashed): the 10 is returned by nobody.
     */
    @Test
    void aRecoveryThatThrewIsNotFinishedByTheNextDrainNorByItsRetry() {
        String name = "recthrew";
        try (RedisCounters crashed = redis.factory(redis.server.uri(), 100, 300).build();
                RedisCounters recoverer = redis.factory(redis.server.uri(), 100, 300).build()) {
            String id = redis.loseADrainOfTen(crashed.counter(name), "tally:", name);
            RedisCounter rec = recoverer.counter(name);
            TestRedis.getOnceReachable(rec);
            rec.getAndReset();
            CounterUnavailableException threw;
            try (StatefulRedisConnection<String, String> blocker = redis.busy()) {
                assertThat(blocker.isOpen()).isTrue();
                threw = catchThrowableOfType(CounterUnavailableException.class, () -> rec.getAndReset(id));
                redis.endBusy();
            }
            assertThat(threw).isNotNull();
            long next = rec.getAndReset();
            long retry = rec.getAndReset(id);
            Map<String, String> left = redis.drainRecords(name);
            System.out.println("REVIEW recthrew next=" + next + " retry=" + retry + " records=" + left
                    + "\n  exception: " + threw.getMessage());
            // The exception's first option, alone; "retry" (its second option) does get the 10.
            assertThat(next).as("the next getAndReset returns its value, said the exception; records " + left)
                    .isEqualTo(10L);
        }
    }

    /**
     * Held: a recovery whose record is a fence ('') returns 0; the recoverer's next drain and
     * close delete nothing of it; the creator's retry by id gets 0 too.
     */
    @Test
    void recoveryOfAFenceAndTheRecoverersClose() {
        String name = "fencerec";
        try (RedisCounters jvm1 = redis.factory(redis.server.uri(), 100, 300).build();
                RedisCounters jvm2 = redis.factory(redis.server.uri(), 1_000, 5_000).build()) {
            RedisCounter mine = jvm1.counter(name);
            String id = redis.loseADrainOfTen(mine, "tally:", name);
            mine.add(1);
            long own = mine.getAndReset();        // absorbs id: fence
            RedisCounter other = jvm2.counter(name);
            long rec = other.getAndReset(id);
            other.add(2);
            long otherNext = other.getAndReset();
            other.close();
            Map<String, String> afterClose = redis.drainRecords(name);
            long ownRetry = mine.getAndReset(id);
            System.out.println("REVIEW fencerec own=" + own + " rec=" + rec + " otherNext=" + otherNext
                    + " ownRetry=" + ownRetry + " afterOtherClose=" + afterClose);
            assertThat(own + rec + otherNext + ownRetry).isEqualTo(13L);
            assertThat(afterClose).containsEntry(id, "");
        }
    }
}
