package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.Counter;
import dev.tally.counter.impl.CounterMapReviewTest.TrapKey;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Review of 72d160c with the cap: parked amounts keep their own key, whatever the cap. A
 * removed key's handle add whose re-insert fails is parked under that key and delivered under
 * it; had the move succeeded, all but the few keys the cap had room for would have gone to the
 * overflow key. So a capped map's drain returns as many distinct keys as were parked.
 */
final class ParkingCapReviewTest {

    static final int MAX_KEYS = 40;

    /**
     * Failed on 72d160c, fixed since: maxKeys 40, 1,000 handles of removed keys add 1 each while the table
     * cannot be rebuilt; the next drain returns 1,012 non-overflow keys, total 1,012 (same total
     * disarmed: 29 keys + other=983).
     */
    @Test
    void aCappedMapsDrainReturnsEveryParkedKey() {
        int parkedKeys = 1_000;
        Map<Object, Long> armed = run(parkedKeys, true);
        Map<Object, Long> disarmed = run(parkedKeys, false);
        long armedKeys = armed.keySet().stream().filter(k -> !"other".equals(k)).count();
        long disarmedKeys = disarmed.keySet().stream().filter(k -> !"other".equals(k)).count();
        long armedTotal = armed.values().stream().mapToLong(Long::longValue).sum();
        long disarmedTotal = disarmed.values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("[review] cap %d: drain after parking has %d non-overflow keys (total %d);"
                        + " same adds, nothing parked: %d keys + other=%s (total %d)%n", MAX_KEYS,
                armedKeys, armedTotal, disarmedKeys, disarmed.get("other"), disarmedTotal);
        assertThat(armedTotal).isEqualTo(disarmedTotal);
        assertThat(disarmedKeys).isLessThanOrEqualTo(MAX_KEYS);
        assertThat(armedKeys).as("non-overflow keys in one drain of a map capped at %d", MAX_KEYS)
                .isLessThanOrEqualTo(MAX_KEYS);
    }

    private static Map<Object, Long> run(int n, boolean arm) {
        StripedCounterMap<Object> map = new StripedCounterMap<>(MAX_KEYS, "other");
        TrapKey trap = new TrapKey("trap");
        Counter[] handles = new Counter[n];
        int batch = 25;
        for (int from = 0; from < n; from += batch) {
            for (int i = from; i < Math.min(n, from + batch); i++) {
                handles[i] = map.counter("r" + i);
                handles[i].add(1);
            }
            for (int drain = 0; drain < 3; drain++) {
                map.add(trap, 1);
                for (int i = 0; i < 10; i++) {
                    map.add("k" + i, 1);
                }
                Map<Object, Long> d = map.drain();
                if (drain == 0) {
                    for (int i = from; i < Math.min(n, from + batch); i++) {
                        assertThat(d.get("r" + i)).as("r%d admitted under its own key", i).isEqualTo(1L);
                    }
                }
            }
        }
        assertThat(map.size()).isEqualTo(11);
        int cap = map.capacity();
        for (int j = 0; (((KeyTable) map.currentTable()).used + 1) * 4L <= cap * 3L; j++) {
            map.add("f" + j, 1);
        }
        assertThat(map.size()).isLessThan(MAX_KEYS);
        if (arm) {
            trap.failingIn = Thread.currentThread();
        }
        for (Counter h : handles) {
            h.add(1);
        }
        trap.failingIn = null;
        return map.drain();
    }
}
