package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.Counter;
import dev.tally.counter.testkit.Race;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;

/**
 * {@link StripedCounterMap} at the scale its promises are made for: a million keys inserted by two
 * threads while a third drains (every insert, growth and removal racing a drain), and a million
 * virtual threads adding while a platform thread drains. Exact per key, and the memory promise
 * (idle keys removed, the table shrunk back) checked at the end. The exact-total negative control
 * ({@code ConcurrentHashMap<K, LongAdder>} losing adds) is in {@link CounterMapExactTotalTest}.
 */
final class CounterMapAtScaleTest {

    private static final int KEYS = 1_000_000;

    @Test
    void aMillionKeysInsertedWhileDrainedEndExactAndTheMapEmptiesOnceIdle()
            throws InterruptedException {
        Integer[] keys = new Integer[KEYS];
        for (int k = 0; k < KEYS; k++) {
            keys[k] = k;
        }
        StripedCounterMap<Integer> map = new StripedCounterMap<>();
        long[] counted = new long[KEYS];
        AtomicInteger drains = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        // Writer 0 walks the keys up, writer 1 down: each key is inserted by one and added to by
        // the other, somewhere else in the run, so inserts, growth and plain adds all race.
        Race.runWithObserver(2, writer -> {
            for (int i = 0; i < KEYS; i++) {
                map.increment(keys[writer == 0 ? i : KEYS - 1 - i]);
            }
        }, writersRunning -> {
            while (writersRunning.getAsBoolean()) {
                collect(map.drain(), counted);
                drains.incrementAndGet();
                most.accumulateAndGet(map.size(), Math::max);
            }
        });
        collect(map.drain(), counted);
        int off = 0;
        for (int k = 0; k < KEYS; k++) {
            off += counted[k] != 2 ? 1 : 0;
        }
        assertThat(off).as("keys whose drains did not total 2 (drains while writing: %d)",
                drains.get()).isZero();

        map.drain();   // every key zero once...
        assertThat(map.drain()).as("...and again: nothing to take").isEmpty();
        assertThat(map.size()).as("keys held after two idle drains").isZero();
        assertThat(map.capacity()).as("table capacity after two idle drains").isEqualTo(16);
    }

    @Test
    void aMillionVirtualThreadsAddingWhileAPlatformThreadDrainsEndExact() throws Exception {
        int keys = 1_000;
        String[] names = new String[keys];
        Counter[] handles = new Counter[keys];
        StripedCounterMap<String> map = new StripedCounterMap<>();
        for (int k = 0; k < keys; k++) {
            names[k] = "key-" + k;
            handles[k] = map.counter(names[k]);
        }
        AtomicLongArray counted = new AtomicLongArray(keys);
        AtomicInteger phase = new AtomicInteger();
        Thread drainer = new Thread(() -> {
            while (phase.get() == 0) {
                map.drain().forEach((key, v) -> counted.addAndGet(indexOf(key), v));
            }
        }, "drainer");
        drainer.start();
        AtomicInteger next = new AtomicInteger();
        try {
            // Half the threads add through the map, half through a handle bound up front (which
            // must find its key again after each removal).
            VirtualThreadsTest.runOnVirtualThreads(KEYS, m -> {
                int i = next.getAndIncrement();
                int k = i % keys;
                if ((i & 1) == 0) {
                    m.increment(names[k]);
                } else {
                    handles[k].increment();
                }
            }, map);
        } finally {
            phase.set(1);
            drainer.join();
        }
        map.drain().forEach((key, v) -> counted.addAndGet(indexOf(key), v));
        int off = 0;
        for (int k = 0; k < keys; k++) {
            off += counted.get(k) != KEYS / keys ? 1 : 0;
        }
        assertThat(off).as("keys whose drains did not total %d", KEYS / keys).isZero();
    }

    private static int indexOf(String key) {
        return Integer.parseInt(key.substring("key-".length()));
    }

    private static void collect(Map<Integer, Long> drained, long[] counted) {
        drained.forEach((key, v) -> counted[key] += v);
    }
}
