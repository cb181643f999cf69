package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.Counter;
import dev.tally.counter.CounterMap;
import dev.tally.counter.testkit.Race;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * Exact totals per key for {@link StripedCounterMap}: 4 writers (more than the 2 cores of CI) add
 * over 1,000 keys while a thread drains in a loop; for every key, what the drains took plus what
 * remains equals what was added. Each writer works on a window of 16 keys, moves to another key
 * every 16 adds, and after 4,096 adds moves its window on, each writer at its own stride, so the
 * writers' windows cross: a key is left idle, removed, and brought back again and again, and
 * removals race adds all through the run.
 *
 * <p>Before it moves its window on, a writer waits until the drainer has finished two more
 * drains. So no writer touches more than two windows between the start of one drain and the end
 * of the drain after next, and a map that removes idle keys holds at most 4 x 2 x 16 = 128 keys
 * after a drain, whatever the scheduler does (on CI's 2 cores, without the wait, the drainer was
 * once outrun so that no key ever idled through a whole drain period: 996 keys after every drain).
 */
final class CounterMapExactTotalTest {

    static final int WRITERS = 4;
    static final int ADDS_PER_WRITER = 1_000_000;
    static final int KEYS = 1_000;

    /** What a test map offers the writers: an add to a key, and a bound counter per key. */
    interface Target {
        void add(String key, long delta);

        Map<String, Long> drain();

        long get(String key);

        Counter counter(String key);

        int size();
    }

    private static Target of(CounterMap<String> map) {
        return new Target() {
            @Override
            public void add(String key, long delta) {
                map.add(key, delta);
            }

            @Override
            public Map<String, Long> drain() {
                return map.drain();
            }

            @Override
            public long get(String key) {
                return map.get(key);
            }

            @Override
            public Counter counter(String key) {
                return map.counter(key);
            }

            @Override
            public int size() {
                return map.size();
            }
        };
    }

    static final int WINDOW = 16;
    static final int ADDS_PER_WINDOW = 4_096;

    /**
     * The writer's {@code i}-th key: bursts of 16 adds per key, cycling through the writer's
     * current window of 16 keys; windows start a quarter of the keys apart and move on at
     * strides of 16, 24, 32 and 40 keys, so they cross.
     */
    static int keyOf(int writer, int i) {
        int window = i / ADDS_PER_WINDOW;
        int start = window * (WINDOW + 8 * writer) + writer * (KEYS / WRITERS);
        return (start + (i >>> 4) % WINDOW) % KEYS;
    }

    /** Waits until {@code drains} is at least {@code target}; fails if the drainer stalls. */
    private static void awaitDrains(AtomicInteger drains, int target) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (drains.get() < target) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the drainer stopped at " + drains.get() + " drains");
            }
            Thread.yield();
        }
    }

    /** Mixed signs and sizes, so that bursts often sum to zero and keys idle at zero. */
    static long deltaOf(int writer, int i) {
        return switch (i % 4) {
            case 0 -> 1L;
            case 1 -> -1L;
            case 2 -> (i * 31L + writer) % 101 - 50;
            default -> writer + 2L;
        };
    }

    /** The outcome of one run: per key, what was added and what the drains and the map hold. */
    record Totals(long[] added, long[] counted, int drains, int fewestKeys, int mostKeys) {
        int keysOff() {
            int off = 0;
            for (int k = 0; k < KEYS; k++) {
                off += added[k] != counted[k] ? 1 : 0;
            }
            return off;
        }
    }

    /**
     * Writers 0 and 1 add through {@code add(key, delta)}, writers 2 and 3 through a
     * {@code Counter} per key made once up front, which must find its key again after each
     * removal.
     */
    static Totals run(Target map, int addsPerWriter) throws InterruptedException {
        String[] keys = new String[KEYS];
        for (int k = 0; k < KEYS; k++) {
            keys[k] = "key-" + k;
        }
        long[][] added = new long[WRITERS][KEYS];
        long[] counted = new long[KEYS];
        AtomicInteger drains = new AtomicInteger();
        AtomicInteger fewest = new AtomicInteger(Integer.MAX_VALUE);
        AtomicInteger most = new AtomicInteger();
        Race.runWithObserver(WRITERS, writer -> {
            Counter[] handles = new Counter[KEYS];
            if (writer >= 2) {
                for (int k = 0; k < KEYS; k++) {
                    handles[k] = map.counter(keys[k]);
                }
            }
            for (int i = 0; i < addsPerWriter; i++) {
                if (i > 0 && i % ADDS_PER_WINDOW == 0) {
                    awaitDrains(drains, drains.get() + 2);
                }
                int k = keyOf(writer, i);
                long delta = deltaOf(writer, i);
                if (writer >= 2) {
                    handles[k].add(delta);
                } else {
                    map.add(keys[k], delta);
                }
                added[writer][k] += delta;
            }
        }, writersRunning -> {
            while (writersRunning.getAsBoolean()) {
                map.drain().forEach((key, value) -> counted[index(key)] += value);
                drains.incrementAndGet();
                fewest.accumulateAndGet(map.size(), Math::min);
                most.accumulateAndGet(map.size(), Math::max);
            }
        });
        long[] sum = new long[KEYS];
        for (int k = 0; k < KEYS; k++) {
            for (int w = 0; w < WRITERS; w++) {
                sum[k] += added[w][k];
            }
            counted[k] += map.get(keys[k]);
        }
        return new Totals(sum, counted, drains.get(), fewest.get(), most.get());
    }

    private static int index(String key) {
        return Integer.parseInt(key.substring("key-".length()));
    }

    @Test
    void everyKeysDrainsPlusWhatRemainsEqualWhatWasAdded() throws InterruptedException {
        StripedCounterMap<String> map = new StripedCounterMap<>();
        Totals totals = run(of(map), ADDS_PER_WRITER);
        assertThat(totals.drains()).as("drains while the writers ran").isGreaterThan(10);
        System.out.printf("StripedCounterMap: %d drains, %d to %d keys held after a drain%n",
                totals.drains(), totals.fewestKeys(), totals.mostKeys());
        assertThat(totals.mostKeys()).as("most keys held after a drain: idle keys removed")
                .isLessThanOrEqualTo(WRITERS * 2 * WINDOW);
        assertThat(totals.counted()).as("drained + remaining, per key").isEqualTo(totals.added());
    }

    @Test
    void underACapTheOverflowKeyTakesTheRestExactlyAndTheCapHolds() throws InterruptedException {
        StripedCounterMap<String> map = new StripedCounterMap<>(100, "key-0");
        Totals totals = run(of(map), ADDS_PER_WRITER / 4);
        assertThat(totals.mostKeys()).as("most keys held after a drain, the overflow key among them")
                .isLessThanOrEqualTo(101);
        assertThat(sumOf(totals.counted())).as("drained + remaining, all keys")
                .isEqualTo(sumOf(totals.added()));
    }

    /**
     * The negative control: {@code ConcurrentHashMap<K, LongAdder>} drained the usual way
     * (iterate, {@code sumThenReset()}, remove the keys that were zero, to bound memory) loses
     * adds that race the removal. It usually shows within one run; it may take up to five.
     */
    @Test
    void theUsualConcurrentHashMapOfLongAdderLosesAddsThatRaceARemoval()
            throws InterruptedException {
        int keysOff = 0;
        int runs = 0;
        while (keysOff == 0 && runs < 5) {
            keysOff = run(new AdderMap(), ADDS_PER_WRITER / 4).keysOff();
            runs++;
        }
        System.out.printf("ConcurrentHashMap<K, LongAdder> control: %d key(s) off in %d run(s)%n",
                keysOff, runs);
        assertThat(keysOff).as("keys whose drains + remaining != added, in %d runs", runs)
                .isPositive();
    }

    private static long sumOf(long[] values) {
        long sum = 0L;
        for (long v : values) {
            sum += v;
        }
        return sum;
    }

    /** The peer, drained the usual way. */
    static final class AdderMap implements Target {
        private final ConcurrentHashMap<String, LongAdder> map = new ConcurrentHashMap<>();

        @Override
        public void add(String key, long delta) {
            map.computeIfAbsent(key, k -> new LongAdder()).add(delta);
        }

        @Override
        public Map<String, Long> drain() {
            Map<String, Long> out = new java.util.HashMap<>();
            map.forEach((key, adder) -> {
                long v = adder.sumThenReset();
                if (v != 0L) {
                    out.put(key, v);
                } else {
                    map.remove(key, adder);
                }
            });
            return out;
        }

        @Override
        public long get(String key) {
            LongAdder adder = map.get(key);
            return adder == null ? 0L : adder.sum();
        }

        @Override
        public int size() {
            return map.size();
        }

        @Override
        public Counter counter(String key) {
            return new Counter() {
                @Override
                public void add(long delta) {
                    AdderMap.this.add(key, delta);
                }

                @Override
                public long get() {
                    return AdderMap.this.get(key);
                }

                @Override
                public long getAndReset() {
                    throw new UnsupportedOperationException();
                }
            };
        }
    }
}
