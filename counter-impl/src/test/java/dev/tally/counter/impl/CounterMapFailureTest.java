package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link StripedCounterMap} when an error strikes halfway through a drain or a rebuild of its
 * table: a key whose {@code hashCode} throws {@link OutOfMemoryError} on demand stands in for a
 * heap that fills up at that point (a key whose hashCode allocates) and makes the failure land in
 * the same place every run. Whatever threw, every add is still counted exactly once and the map
 * keeps working.
 */
final class CounterMapFailureTest {

    /** A key whose {@code hashCode} throws while {@link #failing} is set. */
    static final class FlakyKey {
        private final String name;
        volatile boolean failing;

        FlakyKey(String name) {
            this.name = name;
        }

        @Override
        public int hashCode() {
            if (failing) {
                throw new OutOfMemoryError("simulated, in " + name + ".hashCode()");
            }
            return name.hashCode();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof FlakyKey key && key.name.equals(name);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static FlakyKey[] keys(int count) {
        FlakyKey[] keys = new FlakyKey[count];
        for (int i = 0; i < count; i++) {
            keys[i] = new FlakyKey("k" + i);
        }
        return keys;
    }

    @Test
    void aDrainThatThrowsHalfwayLeavesEveryAddInTheMap() {
        StripedCounterMap<FlakyKey> map = new StripedCounterMap<>();
        FlakyKey[] keys = keys(8);
        Map<FlakyKey, Long> added = new HashMap<>();
        for (int i = 0; i < keys.length; i++) {
            map.add(keys[i], 1_000L * (i + 1));
            added.put(keys[i], 1_000L * (i + 1));
        }
        keys[3].failing = true;
        assertThatThrownBy(map::drain).isInstanceOf(OutOfMemoryError.class);
        keys[3].failing = false;
        assertThat(map.drain()).as("what the next drain takes").isEqualTo(added);
    }

    @Test
    void aShrinkThatThrowsAtTheEndOfADrainLeavesEveryAddInTheMap() {
        StripedCounterMap<FlakyKey> map = new StripedCounterMap<>();
        FlakyKey[] keys = keys(200);
        for (FlakyKey key : keys) {
            map.increment(key);
        }
        map.drain();
        map.add(keys[0], 7);
        map.drain();                        // the others: zero for the first time
        map.add(keys[0], 5);
        keys[0].failing = true;             // this drain removes 199 keys, then shrinks
        Map<FlakyKey, Long> drained = new HashMap<>();
        try {
            drained.putAll(map.drain());
        } catch (OutOfMemoryError expected) {
            // the shrink failed: the drain may throw, as long as it loses nothing
        }
        keys[0].failing = false;
        drained.putAll(map.drain());
        assertThat(drained).as("the drain that threw, then the next one").isEqualTo(Map.of(keys[0], 5L));
    }

    @Test
    void aGrowthThatThrowsHalfwayLosesNothingAndTheMapKeepsWorking() throws InterruptedException {
        StripedCounterMap<FlakyKey> map = new StripedCounterMap<>();
        FlakyKey[] keys = keys(13);
        for (int i = 0; i < 12; i++) {
            map.add(keys[i], i + 1);        // 12 keys fill the first table to three quarters
        }
        keys[5].failing = true;
        assertThatThrownBy(() -> map.add(keys[12], 13)).isInstanceOf(OutOfMemoryError.class);
        keys[5].failing = false;
        Map<FlakyKey, Long> expected = new HashMap<>();
        for (int i = 0; i < 12; i++) {
            expected.put(keys[i], (long) i + 1);
        }
        Map<FlakyKey, Long> drained = withinSeconds(5, () -> {
            assertThat(map.get(new FlakyKey("never"))).isZero();
            map.add(keys[12], 13);
            return map.drain();
        });
        expected.put(keys[12], 13L);
        assertThat(drained).isEqualTo(expected);
    }

    /** Runs {@code call} on a daemon thread, so that a map left spinning fails the test, not the run. */
    static <T> T withinSeconds(int seconds, java.util.concurrent.Callable<T> call)
            throws InterruptedException {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                result.set(call.call());
            } catch (Throwable e) {
                result.set(e);
            }
        }, "within-seconds");
        thread.setDaemon(true);
        thread.start();
        thread.join(seconds * 1_000L);
        assertThat(thread.isAlive()).as("still running after %d s: the map spins", seconds).isFalse();
        if (result.get() instanceof Throwable e) {
            throw new AssertionError(e);
        }
        @SuppressWarnings("unchecked")
        T value = (T) result.get();
        return value;
    }
}
