package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.counter.Counter;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Review of {@link StripedCounterMap}'s error promise ("a method that throws, an
 * OutOfMemoryError or a key's hashCode, leaves every count as it was") where the map moves an
 * amount it has already taken to a key's new slot: that move hashes the key again.
 */
final class CounterMapReviewTest {

    /**
     * A key whose {@code hashCode} throws {@link OutOfMemoryError} (a hashCode that allocates, on
     * a full heap, as in {@link CounterMapFailureTest}) when called from {@link #failingIn}; the
     * first such call runs {@link #beforeFailing} once.
     */
    static final class TrapKey {
        private final String name;
        volatile Thread failingIn;
        final AtomicReference<Runnable> beforeFailing = new AtomicReference<>();

        TrapKey(String name) {
            this.name = name;
        }

        @Override
        public int hashCode() {
            if (Thread.currentThread() == failingIn) {
                Runnable hook = beforeFailing.getAndSet(null);
                if (hook != null) {
                    hook.run();
                }
                throw new OutOfMemoryError("simulated, in " + name + ".hashCode()");
            }
            return name.hashCode();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof TrapKey key && key.name.equals(name);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * A drain takes every key, then its result's HashMap hashes a key, which throws. Meanwhile
     * another thread grew the table, retiring every slot the drain took from. The drain puts back
     * what it took: to the old slot, which is retired, so to the key as a new add, which hashes
     * the key again, throws again, and the amount is dropped (added as a suppressed exception).
     */
    @Test
    void aDrainThatThrowsAfterAGrowthRacedItPutsBackEveryAmount() throws Exception {
        StripedCounterMap<Object> map = new StripedCounterMap<>();
        TrapKey key = new TrapKey("trap");
        map.add(key, 5);
        for (int i = 0; i < 11; i++) {
            map.add("k" + i, 1);            // 12 keys: the next new key grows the table
        }
        key.beforeFailing.set(() -> {
            // Another thread's add of a new key, while the drain builds its result.
            Thread grower = new Thread(() -> map.add("grown", 1));
            grower.start();
            try {
                grower.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        key.failingIn = Thread.currentThread();
        Object oldTable = map.currentTable();
        Throwable thrown = null;
        try {
            map.drain();
        } catch (OutOfMemoryError e) {
            thrown = e;
        }
        key.failingIn = null;
        assertThat(thrown).as("the drain threw").isNotNull();
        assertThat(map.currentTable()).as("the table grew meanwhile").isNotSameAs(oldTable);
        Map<Object, Long> expected = new HashMap<>();
        expected.put(key, 5L);
        for (int i = 0; i < 11; i++) {
            expected.put("k" + i, 1L);
        }
        expected.put("grown", 1L);
        assertThat(map.drain())
                .as("what the next drain takes; suppressed in the failed drain: %s",
                        java.util.Arrays.toString(thrown.getSuppressed()))
                .isEqualTo(expected);
    }

    /**
     * Two threads add through handles to the same retired stripes (a growth retired them). Each
     * add drains the stripes and moves what it took to the key's new slot, hashing the key. In
     * thread X that hash throws: X's add throws, which may drop X's own amount, but X's drain may
     * also have taken an add of thread Y that returned normally, whose own drain found nothing.
     */
    @Test
    void anAddWhoseResidueMoveThrowsLosesNoOtherThreadsAdd() throws Exception {
        // 1 s: before the fix the loss showed in the third round, within 48 ms.
        long deadline = System.nanoTime() + 1_000_000_000L;
        int rounds = 0;
        long lost = 0;
        int roundsLosing = 0;
        while (System.nanoTime() < deadline && roundsLosing == 0) {
            rounds++;
            StripedCounterMap<Object> map = new StripedCounterMap<>();
            TrapKey key = new TrapKey("trap");
            int handles = 256;
            Counter[] xs = new Counter[handles];
            Counter[] ys = new Counter[handles];
            for (int i = 0; i < handles; i++) {
                xs[i] = map.counter(key);
                ys[i] = map.counter(key);
                xs[i].increment();
                ys[i].increment();          // binds every handle to the key's stripes
            }
            long before = map.get(key);
            for (int i = 0; i < 16; i++) {
                map.add("k" + i, 1);        // grows the table: the stripes are retired
            }
            CountDownLatch start = new CountDownLatch(1);
            AtomicLong xCounted = new AtomicLong();
            Thread x = new Thread(() -> {
                key.failingIn = Thread.currentThread();
                await(start);
                for (Counter c : xs) {
                    try {
                        c.add(1_000_000L);
                        xCounted.addAndGet(1_000_000L);   // returned: must be counted
                    } catch (OutOfMemoryError expected) {
                        // threw: not counted, as promised
                    }
                }
            });
            Thread y = new Thread(() -> {
                await(start);
                for (Counter c : ys) {
                    c.add(1L);
                }
            });
            x.start();
            y.start();
            while (key.failingIn == null) {
                Thread.onSpinWait();
            }
            start.countDown();
            x.join();
            y.join();
            key.failingIn = null;
            long expected = before + handles + xCounted.get();
            long got = map.get(key);
            if (got != expected) {
                roundsLosing++;
                lost = expected - got;
            }
        }
        assertThat(roundsLosing)
                .as("rounds out of %d where adds that returned normally were lost (last: %d lost)",
                        rounds, lost)
                .isZero();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theCacheKeepsNoRemovedKeyOrItsStripesAliveAfterTheNextDrain() {
        StripedCounterMap<Object> map = new StripedCounterMap<>();
        int n = 1_000;
        WeakReference<?>[] refs = new WeakReference<?>[n];
        for (int i = 0; i < n; i++) {
            String k = new String("hot" + i);
            map.counter(k).add(1);          // inflated
            map.add(new String("hot" + i), 1);   // an equal key, not the same: cached
            refs[i] = new WeakReference<>(k);
        }
        assertThat(map.cachedKeys()).isPositive();
        map.drain();
        map.drain();
        map.drain();
        assertThat(map.size()).isZero();
        assertThat(map.cachedKeys()).isZero();
        for (int i = 0; i < 20; i++) {
            System.gc();
        }
        int alive = 0;
        for (WeakReference<?> r : refs) {
            alive += r.get() != null ? 1 : 0;
        }
        assertThat(alive).as("keys still reachable after their removal").isZero();
    }

    @Test
    void cachedKeysStayExactAcrossShrinkGrowthMinValueAndEqualKeys() {
        StripedCounterMap<Object> map = new StripedCounterMap<>();
        Map<Object, Long> expected = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            map.counter("hot" + i).add(Long.MIN_VALUE);
            map.add(new String("hot" + i), Long.MIN_VALUE);   // wraps to 0
            map.add(new String("hot" + i), -3);
        }
        for (int i = 0; i < 2_000; i++) {
            map.add(i, 1);                  // growth: every cached entry retired
        }
        for (int i = 0; i < 200; i++) {
            map.add("hot" + i, Long.MIN_VALUE);
            expected.put("hot" + i, Long.MIN_VALUE - 3);
        }
        for (int i = 0; i < 2_000; i++) {
            expected.put(i, 1L);
        }
        assertThat(map.drain()).isEqualTo(expected);
        for (int i = 0; i < 200; i++) {
            map.add("hot" + i, 7);          // the integer keys go idle
        }
        map.drain();
        map.drain();                        // integer keys removed: the table shrinks
        for (int i = 0; i < 200; i++) {
            map.add("hot" + i, 2);
            map.getAndReset("hot" + i);
            map.add("hot" + i, 1);
        }
        Map<Object, Long> drained = map.drain();
        assertThat(drained).hasSize(200).allSatisfy((k, v) -> assertThat(v).isEqualTo(1L));
    }

    @Test
    void aCapHoldsAgainstAMillionDistinctKeysWhileContendedKeysGoThroughTheCache() throws Exception {
        StripedCounterMap<Object> map = new StripedCounterMap<>(1_000, "other");
        int perThread = 500_000;
        AtomicLong maxSize = new AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        long[] drainedSum = new long[1];
        Thread drainer = new Thread(() -> {
            while (!done.get()) {
                for (long v : map.drain().values()) {
                    drainedSum[0] += v;
                }
                maxSize.accumulateAndGet(map.size(), Math::max);
            }
        });
        Thread[] adders = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int base = t * perThread;
            adders[t] = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    map.add(base + i, 1);               // distinct: a new key each time
                    map.add("hot" + (i & 7), 1);         // contended by both: cached
                    if ((i & 1023) == 0) {
                        maxSize.accumulateAndGet(map.size(), Math::max);
                    }
                }
            });
        }
        drainer.start();
        for (Thread a : adders) {
            a.start();
        }
        for (Thread a : adders) {
            a.join();
        }
        done.set(true);
        drainer.join();
        for (long v : map.drain().values()) {
            drainedSum[0] += v;
        }
        assertThat(drainedSum[0]).as("every add, under its key or the overflow key").isEqualTo(4L * perThread);
        assertThat(maxSize.get()).as("most keys seen held").isLessThanOrEqualTo(1_001);
    }
}
