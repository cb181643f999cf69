package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.Counter;
import dev.tally.counter.impl.CounterMapReviewTest.TrapKey;
import java.lang.reflect.Field;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Review of 72d160c: many parked records (a trap key blocks every rebuild, so every removed
 * key's handle add parks), and what a parked key costs other keys' reads.
 */
final class ParkingScaleReviewTest {

    /**
     * Binds {@code keys.length} handles, adds 1 through each, has three drains remove them all
     * (trap and k0..k9 kept), then fills the shrunk table to its growth threshold, so that the
     * next insert rebuilds and hashes trap.
     */
    static Counter[] removedHandles(StripedCounterMap<Object> map, TrapKey trap, Object[] keys) {
        Counter[] handles = new Counter[keys.length];
        for (int i = 0; i < keys.length; i++) {
            handles[i] = map.counter(keys[i]);
            handles[i].add(1);
        }
        for (int drain = 0; drain < 3; drain++) {
            map.add(trap, 1);
            for (int i = 0; i < 10; i++) {
                map.add("k" + i, 1);
            }
            map.drain();
        }
        assertThat(map.size()).isEqualTo(11);
        int cap = map.capacity();
        for (int j = 0; (((KeyTable) map.currentTable()).used + 1) * 4L <= cap * 3L; j++) {
            map.add("f" + j, 1);
        }
        assertThat(map.capacity()).isEqualTo(cap);
        return handles;
    }

    static int parkedRecords(StripedCounterMap<?> map) throws Exception {
        Field f = StripedCounterMap.class.getDeclaredField("parked");
        f.setAccessible(true);
        int n = 0;
        for (Parked p = (Parked) f.get(map); p != null; p = p.next) {
            n++;
        }
        return n;
    }


    /** A key whose equals throws while a switch is on; hashCode is fine. */
    static final class EqualsBomb {
        static volatile boolean on;

        @Override
        public boolean equals(Object o) {
            if (on) {
                throw new IllegalStateException("EqualsBomb.equals");
            }
            return o == this;
        }

        @Override
        public int hashCode() {
            return 99;
        }
    }

    /**
     * Failed on 72d160c, fixed since (see report): once a key is parked, get of any other key calls that
     * key's equals (Residue.amountOf: key.equals(k)), with no hash check first, so one key with
     * a broken equals makes get("k0") throw; held in the table, the same key is never compared
     * with "k0" (a different hash bucket here; the table probes compare keys only on the
     * probe path).
     */
    @Test
    void aParkedKeysEqualsIsCalledByGetOfEveryOtherKey() throws Exception {
        StripedCounterMap<Object> map = new StripedCounterMap<>();
        TrapKey trap = new TrapKey("trap");
        EqualsBomb bomb = new EqualsBomb();
        Counter[] handles = removedHandles(map, trap, new Object[] {bomb});
        // Control first: the bomb held in a table, find a key whose get does not touch its
        // equals (its probe path misses the bomb's slot).
        StripedCounterMap<Object> control = new StripedCounterMap<>();
        control.add(bomb, 1);
        String other = null;
        EqualsBomb.on = true;
        try {
            for (int j = 0; other == null; j++) {
                try {
                    assertThat(control.get("x" + j)).isZero();
                    other = "x" + j;
                } catch (IllegalStateException probedPastTheBomb) {
                    // next candidate
                }
            }
        } finally {
            EqualsBomb.on = false;
        }

        trap.failingIn = Thread.currentThread();
        handles[0].add(5);   // parked
        trap.failingIn = null;
        assertThat(parkedRecords(map)).isEqualTo(1);
        EqualsBomb.on = true;
        Throwable thrown = null;
        long got = -1;
        try {
            got = map.get(other);
        } catch (Throwable e) {
            thrown = e;
        } finally {
            EqualsBomb.on = false;
        }
        System.out.println("[review] get(\"" + other + "\") with a parked EqualsBomb: " + (thrown != null ? "threw " + thrown : "returned " + got));
        assertThat(thrown).as("get of an unrelated key").isNull();
    }
}
