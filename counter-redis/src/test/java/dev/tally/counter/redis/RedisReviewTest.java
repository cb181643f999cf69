package dev.tally.counter.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.lettuce.core.RedisURI;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What an adversarial review of the factory broke, each now a test of the promise it broke: a
 * close after a lost drain that hid the value, callers queueing past their limit, a hung server
 * costing a timeout per counter, a counter handed out by a closing factory, lone surrogates, a
 * wrong password taken for an outage, a refusal taken for an outage at close, overflowing
 * durations, and a NOSCRIPT fallback that escaped WAIT; and two it could not break (virtual
 * threads through pauses, connection kills and script flushes under load).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
final class RedisReviewTest {

    @RegisterExtension
    final TestRedis redis = TestRedis.perTest(false);

    private RedisCounters.Builder factory(RedisURI uri, long timeoutMs, long stalenessMs) {
        return redis.factory(uri, timeoutMs, stalenessMs);
    }

    /** Promise 2: a lost drain, then close() during the same outage, then another JVM's recovery. */
    @Test
    void afterALostDrainAndAFailedCloseTheIdsInTheExceptionRecoverTheValueExactlyOnce() {
        RedisCounters jvm1 = factory(redis.server.uri(), 100, 300).build();
        RedisCounter c = jvm1.counter("lost");
        TestRedis.getOnceReachable(c);         // connected: a first connect may outlast 300 ms
        c.getAndReset();                       // loads the script
        c.add(10);
        c.flush();
        redis.commands().clientPause(2_000);
        CounterUnavailableException drain = catchThrowableOfType(CounterUnavailableException.class, c::getAndReset);
        String id = drain.drainId().orElseThrow();
        CounterUnavailableException close = catchThrowableOfType(CounterUnavailableException.class, c::close);
        assertThat(close).hasMessageContaining("getAndReset(\"" + id + "\")");
        List<String> named = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("getAndReset\\(\"([^\"]+)\"\\)")
                .matcher(close.getMessage());
        while (m.find()) {
            named.add(m.group(1));
        }
        assertThat(redis.awaitValue("lost", v -> v == 0)).isZero();   // pause over, queued scripts ran
        jvm1.abandon();                                            // the first JVM is gone
        try (RedisCounters jvm2 = factory(redis.server.uri(), 1_000, 5_000).build()) {
            RedisCounter other = jvm2.counter("lost");
            long recovered = 0;
            for (String drainId : named) {                         // every id the exception names
                recovered += other.getAndReset(drainId);
            }
            recovered += other.getAndReset();
            Map<String, String> records = new java.util.TreeMap<>();
            for (String k : redis.commands().keys("tally:{lost}:drain:*")) {
                records.put(k, redis.commands().get(k));
            }
            System.out.println("records after recovery: " + records);
            assertThat(recovered).as("10 added, drained by the lost drain; records: " + records).isEqualTo(10);
        }
    }

    /** Promise 3: getAndReset's deadline starts once it has the lock, not at the call. */
    @Test
    void getAndResetCallersEachGiveUpWithinTheirOwnLimit() throws Exception {
        RedisCounters f = factory(redis.server.uri(), 100, 300).build();
        try {
            RedisCounter c = f.counter("queue");
            TestRedis.getOnceReachable(c);
            c.getAndReset();
            redis.commands().clientPause(5_000);
            int n = 4;
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            long[] took = new long[n];
            for (int i = 0; i < n; i++) {
                int k = i;
                threads.add(started(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    long t0 = System.nanoTime();
                    try {
                        c.getAndReset();
                    } catch (RuntimeException expected) {
                        // unavailable
                    }
                    took[k] = (System.nanoTime() - t0) / 1_000_000;
                }));
            }
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            long max = java.util.Arrays.stream(took).max().orElseThrow();
            System.out.println("getAndReset durations (ms): " + java.util.Arrays.toString(took));
            assertThat(max).as("staleness 300 ms + one 100 ms attempt; took " + java.util.Arrays.toString(took))
                    .isLessThan(600);
        } finally {
            f.abandon();   // the server is still paused: nothing to send, nothing to wait for
        }
    }

    /** Promise 3: with a server that accepts TCP but never answers, close() takes N x T x 2. */
    @Test
    void closeOnAHungServerTakesTheStalenessLimitNotATimeoutPerCounter() throws Exception {
        try (ServerSocket hung = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            RedisURI uri = RedisURI.create("redis://127.0.0.1:" + hung.getLocalPort());
            RedisCounters f = factory(uri, 100, 200).build();
            int n = 20;
            for (int i = 0; i < n; i++) {
                f.counter("c" + i).add(1);
            }
            LockSupport.parkNanos(Duration.ofMillis(300).toNanos());   // the flusher is sweeping
            long t0 = System.nanoTime();
            assertThatThrownBy(f::close).isInstanceOf(CounterUnavailableException.class);
            long took = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("close() with 20 counters, T=100 ms, staleness 200 ms took " + took + " ms");
            assertThat(took).as("staleness 200 ms (+ one 100 ms attempt)").isLessThan(500);
        }
    }

    /** Promise 3: get() on a counter whose lock another get() holds waits ~3T, not 2T. */
    @Test
    void getWaitsAtMostTwoTimeoutsEvenBehindAnotherGet() throws Exception {
        try (ServerSocket hung = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            RedisURI uri = RedisURI.create("redis://127.0.0.1:" + hung.getLocalPort());
            RedisCounters f = factory(uri, 500, 60_000).flushInterval(Duration.ofSeconds(60)).build();
            RedisCounter c = f.counter("g");
            Thread a = started(() -> {
                try {
                    c.get();
                } catch (RuntimeException expected) {
                    // unavailable
                }
            });
            LockSupport.parkNanos(Duration.ofMillis(150).toNanos());
            long t0 = System.nanoTime();
            try {
                c.get();
            } catch (RuntimeException expected) {
                // unavailable
            }
            long took = (System.nanoTime() - t0) / 1_000_000;
            a.join();
            System.out.println("second get() took " + took + " ms (T = 500 ms)");
            f.abandon();
            assertThat(took).as("at most twice the 500 ms command timeout").isLessThanOrEqualTo(1_050);
        }
    }

    /** Promise 6: counter(name) racing RedisCounters.close() hands out a live counter of a dead factory. */
    @Test
    @SuppressWarnings("unchecked")
    void counterRacingFactoryCloseIsRefusedRatherThanHandedOutUnclosed() throws Exception {
        RedisCounters f = factory(redis.server.uri(), 500, 1_000).build();
        Field field = RedisCounters.class.getDeclaredField("counters");
        field.setAccessible(true);
        ConcurrentHashMap<String, RedisCounter> map = (ConcurrentHashMap<String, RedisCounter>) field.get(f);
        CountDownLatch inBin = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // Holds the bin of "late" so that counter("late") stops just after its ensureOpen(),
        // as a preempted thread would.
        Thread holder = started(() -> map.compute("late", (k, v) -> {
            inBin.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return v;
        }));
        inBin.await();
        AtomicReference<RuntimeException> refused = new AtomicReference<>();
        Thread user = started(() -> {
            try {
                f.counter("late");
            } catch (RuntimeException e) {
                refused.set(e);
            }
        });
        while (user.getState() != Thread.State.BLOCKED) {
            Thread.onSpinWait();
        }
        f.close();                       // returns: the factory is closed
        release.countDown();
        holder.join();
        user.join();
        assertThat(refused.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    /** Names that UTF-8 would turn into the same key (a lone surrogate becomes '?') are refused. */
    @Test
    void aLoneSurrogateInANameIsRefusedAPairIsNot() {
        try (RedisCounters f = factory(redis.server.uri(), 1_000, 5_000).build()) {
            org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                    .isThrownBy(() -> f.counter("n\uD800")).withMessageContaining("surrogate");
            org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                    .isThrownBy(() -> f.counter("n\uDC00x")).withMessageContaining("surrogate");
            RedisCounter emoji = f.counter("n\uD83D\uDE00");
            emoji.add(7);
            assertThat(emoji.get()).isEqualTo(7);
        }
    }

    /** Promise 4: a wrong password (an ACL refusal) is retried as an outage. */
    @Test
    void aWrongPasswordIsRefusedAtOnce() {
        redis.commands().aclSetuser("tally-app", io.lettuce.core.AclSetuserArgs.Builder.on()
                .addPassword("pw").keyPattern("tally:*").allCommands());
        RedisURI wrong = RedisURI.builder(redis.server.uri()).withAuthentication("tally-app", "not-pw").build();
        try (RedisCounters f = factory(wrong, 200, 3_000).build()) {
            RedisCounter c = f.counter("pw");
            long t0 = System.nanoTime();
            RuntimeException e = catchThrowableOfType(RuntimeException.class, c::getAndReset);
            long took = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("wrong password: " + e.getClass().getSimpleName() + " after " + took + " ms: "
                    + e.getMessage());
            assertThat(e).isInstanceOf(CounterRejectedException.class);
            assertThat(took).isLessThan(1_000);
        } catch (RuntimeException closing) {
            System.out.println("close: " + closing);
        }
    }


    /** Promise 1 under virtual threads (JDK 21+): adds, get()s and drains, with a pause mid-run. */
    @Test
    void virtualThreadsAddGetAndDrainExactlyOnceThroughAPause() throws Exception {
        java.util.concurrent.ExecutorService vts;
        try {
            vts = (java.util.concurrent.ExecutorService) java.util.concurrent.Executors.class
                    .getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        } catch (NoSuchMethodException e) {
            org.junit.jupiter.api.Assumptions.abort("needs JDK 21+");
            return;
        }
        java.util.concurrent.atomic.AtomicLong drained = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong failedDrains = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong added = new java.util.concurrent.atomic.AtomicLong();
        try (RedisCounters f = factory(redis.server.uri(), 50, 150).build()) {
            RedisCounter[] cs = new RedisCounter[8];
            for (int i = 0; i < cs.length; i++) {
                cs[i] = f.counter("vt" + i);
                TestRedis.getOnceReachable(cs[i]);
                cs[i].getAndReset();
            }
            List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 5_000; t++) {
                int k = t;
                fs.add(vts.submit(() -> {
                    RedisCounter c = cs[k % cs.length];
                    for (int j = 0; j < 20; j++) {
                        c.add(1);
                        added.incrementAndGet();
                        try {
                            if (j % 10 == 9 && k % 7 == 0) {
                                drained.addAndGet(c.getAndReset());
                            } else if (j % 10 == 5) {
                                c.get();
                            }
                        } catch (CounterUnavailableException e) {
                            if (e.drainId().isPresent()) {
                                failedDrains.incrementAndGet();
                            }
                        }
                    }
                }));
                if (t % 1_500 == 1_000) {
                    redis.commands().clientPause(600);
                }
            }
            for (java.util.concurrent.Future<?> x : fs) {
                x.get(60, TimeUnit.SECONDS);
            }
            for (RedisCounter c : cs) {
                drained.addAndGet(c.getAndReset());
            }
            System.out.println("added " + added + " drained " + drained + " failed drains " + failedDrains);
            assertThat(drained.get()).isEqualTo(added.get());
        } finally {
            vts.shutdownNow();
        }
    }

    /** A thread blocked behind another drain does not answer its interrupt. */
    @Test
    void anInterruptedGetAndResetGivesUpWaitingForAnotherCaller() throws Exception {
        try (RedisCounters f = factory(redis.server.uri(), 100, 2_000).build()) {
            RedisCounter c = f.counter("intr");
            c.getAndReset();
            redis.commands().clientPause(4_000);
            Thread first = started(() -> {
                try {
                    c.getAndReset();
                } catch (RuntimeException expected) {
                    // unavailable
                }
            });
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            long[] took = new long[1];
            Thread second = started(() -> {
                try {
                    c.getAndReset();
                } catch (RuntimeException expected) {
                    // interrupted or unavailable
                }
                took[0] = System.nanoTime();
            });
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            long interruptedAt = System.nanoTime();
            second.interrupt();
            second.join();
            first.join();
            long ms = (took[0] - interruptedAt) / 1_000_000;
            System.out.println("interrupted getAndReset returned " + ms + " ms after its interrupt");
            assertThat(ms).isLessThan(300);
        }
    }

    /** Promise 1: CLIENT KILL of the shared connection and SCRIPT FLUSH, repeatedly, under adds and drains. */
    @Test
    void clientKillAndScriptFlushDuringPipelinesKeepEveryAddOnce() throws Exception {
        java.util.concurrent.atomic.AtomicLong added = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong drained = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong drainErrors = new java.util.concurrent.atomic.AtomicLong();
        try (RedisCounters f = factory(redis.server.uri(), 100, 2_000).flushInterval(Duration.ofMillis(2)).build()) {
            RedisCounter[] cs = new RedisCounter[4];
            for (int i = 0; i < cs.length; i++) {
                cs[i] = f.counter("k" + i);
                TestRedis.getOnceReachable(cs[i]);
                cs[i].getAndReset();
            }
            List<Thread> ts = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                ts.add(started(() -> {
                    long i = 0;
                    while (!stop.get()) {
                        cs[(int) (i++ % cs.length)].add(1);
                        added.incrementAndGet();
                        if (i % 64 == 0) {
                            Thread.yield();
                        }
                    }
                }));
            }
            ts.add(started(() -> {
                int i = 0;
                while (!stop.get()) {
                    try {
                        drained.addAndGet(cs[i++ % cs.length].getAndReset());
                    } catch (CounterUnavailableException e) {
                        drainErrors.incrementAndGet();
                    }
                    LockSupport.parkNanos(Duration.ofMillis(3).toNanos());
                }
            }));
            io.lettuce.core.api.sync.RedisCommands<String, String> admin = redis.client.connect(redis.server.uri()).sync();
            for (int round = 0; round < 60; round++) {
                LockSupport.parkNanos(Duration.ofMillis(40).toNanos());
                admin.clientKill(io.lettuce.core.KillArgs.Builder.typeNormal().skipme());
                if (round % 3 == 0) {
                    admin.scriptFlush();
                }
            }
            stop.set(true);
            for (Thread t : ts) {
                t.join();
            }
            for (RedisCounter c : cs) {
                drained.addAndGet(TestRedis.getOnceReachable(c) * 0 + c.getAndReset());
            }
            System.out.println("kill: added " + added + " drained " + drained + " drain errors " + drainErrors);
            assertThat(drained.get()).isEqualTo(added.get());
        }
    }

    /** Promise 4: a permanent refusal makes factory close() and flush() retry for the whole limit. */
    @Test
    void aRefusedCounterMakesFactoryCloseFailAtOnceWithTheRefusal() {
        RedisCounters f = factory(redis.server.uri(), 200, 3_000).build();
        RedisCounter bad = f.counter("bad");
        TestRedis.getOnceReachable(bad);
        redis.commands().set("tally:{bad}:value", "not a number");
        bad.add(1);
        long t0 = System.nanoTime();
        RuntimeException e = catchThrowableOfType(RuntimeException.class, f::close);
        long took = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("close with a WRONGTYPE counter: " + e.getClass().getSimpleName() + " after " + took
                + " ms: " + e.getMessage());
        assertThat(e).isInstanceOf(CounterRejectedException.class);
        assertThat(took).isLessThan(1_000);
    }

    /** Durations that would overflow a deadline in nanoseconds are refused when set. */
    @Test
    void durationsAboveADayAreRefusedWhenSet() {
        RedisCounters.Builder builder = RedisCounters.builder(redis.client, redis.server.uri());
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> builder.commandTimeout(Duration.ofDays(150 * 365)))
                .withMessageContaining("commandTimeout").withMessageContaining("1 day");
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> builder.stalenessLimit(Duration.ofMillis(Long.MAX_VALUE)))
                .withMessageContaining("stalenessLimit");
    }

    /** Promise 8: after NOSCRIPT the EVAL fallback is sent after the WAIT, so WAIT does not cover it. */
    @Test
    void aBatchLoadedByTheNoscriptFallbackStillWaitsForTheReplicas() throws Exception {
        try (RedisServer replica = RedisServer.start(false,
                List.of("--replicaof", "127.0.0.1", Integer.toString(redis.server.port())))) {
            RedisCounters f = RedisCounters.builder(redis.client, redis.server.uri())
                    .commandTimeout(Duration.ofSeconds(1)).stalenessLimit(Duration.ofSeconds(2))
                    .waitForReplicas(1, Duration.ofMillis(300)).shutdownHook(false).build();
            RedisCounter c = f.counter("repl");
            io.lettuce.core.api.sync.RedisCommands<String, String> onReplica =
                    redis.client.connect(replica.uri()).sync();
            c.add(3);
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (true) {
                try {
                    c.flush();
                    break;
                } catch (CounterUnavailableException notInSyncYet) {
                    assertThat(System.nanoTime()).isLessThan(until);
                }
            }
            assertThat(onReplica.get("tally:{repl}:value")).isEqualTo("3");
            if (!Boolean.getBoolean("control")) {
                redis.commands().scriptFlush();             // as on a promoted replica, or after SCRIPT FLUSH
            }
            Field process = RedisServer.class.getDeclaredField("process");
            process.setAccessible(true);
            long pid = ((Process) process.get(replica)).pid();
            new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();   // connected, not acking
            try {
                c.add(4);
                RuntimeException flushed = catchThrowableOfType(RuntimeException.class, c::flush);
                redis.server.kill();                            // the master dies; promote the replica
                new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
                onReplica.replicaofNoOne();
                System.out.println("flush() with the only replica stopped: " + flushed
                        + "; promoted replica holds " + onReplica.get("tally:{repl}:value"));
                assertThat(flushed).as("no replica could acknowledge the 4").isNotNull();
            } finally {
                new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
                f.abandon();
            }
        }
    }

    private static Thread started(Runnable r) {
        Thread t = new Thread(r);
        t.start();
        return t;
    }
}
