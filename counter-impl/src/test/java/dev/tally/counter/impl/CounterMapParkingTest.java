package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.counter.Counter;
import dev.tally.counter.impl.CounterMapReviewTest.TrapKey;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Amounts that {@link StripedCounterMap} has taken and cannot move to their key are parked, never
 * lost: a counter's add that lands in its removed key's stripes must re-insert the key, and here
 * that insert rebuilds a full table in which another key's {@code hashCode} throws (as a heap
 * running out in a rebuild would). Before parking, the add threw and its 5 were gone.
 */
final class CounterMapParkingTest {

    /**
     * A map of 16 slots with 12 used ("a" removed, its tombstone, {@code trap} and ten more keys
     * held): the next new key rebuilds the table, which hashes {@code trap}. Returns a counter
     * bound to "a"'s retired stripes.
     */
    private static Counter removedKeysCounter(StripedCounterMap<Object> map, TrapKey trap) {
        Counter a = map.counter("a");
        a.add(1);
        for (int drain = 0; drain < 3; drain++) {   // "a": taken, zero, zero again: removed
            map.add(trap, 1);
            for (int i = 0; i < 10; i++) {
                map.add("k" + i, 1);
            }
            map.drain();
        }
        assertThat(map.size()).as("keys held after \"a\" was removed").isEqualTo(11);
        assertThat(map.capacity()).isEqualTo(16);
        return a;
    }

    @Test
    void anAddWhoseMoveFailsIsParkedReadAndDeliveredByTheNextDrainOnce() {
        StripedCounterMap<Object> map = new StripedCounterMap<>();
        TrapKey trap = new TrapKey("trap");
        Counter a = removedKeysCounter(map, trap);
        trap.failingIn = Thread.currentThread();

        a.add(5);   // lands in the retired stripes; the move's rebuild throws: parked
        assertThat(map.get("a")).as("get reads what is parked").isEqualTo(5L);
        assertThat(map.snapshot()).isEqualTo(Map.of("a", 5L));

        // An add that cannot insert its key throws before it counts anything.
        assertThatThrownBy(() -> a.add(7)).isInstanceOf(OutOfMemoryError.class);
        assertThat(map.get("a")).isEqualTo(5L);

        // The drain delivers the parked amount while the rebuild would still fail, then not again.
        assertThat(map.drain()).isEqualTo(Map.of("a", 5L));
        assertThat(map.get("a")).isZero();
        trap.failingIn = null;
        a.add(2);
        assertThat(map.drain()).isEqualTo(Map.of("a", 2L));
    }

    @Test
    void aDrainThatThrowsKeepsWhatIsParkedForTheNextOne() {
        StripedCounterMap<Object> map = new StripedCounterMap<>();
        TrapKey trap = new TrapKey("trap");
        Counter a = removedKeysCounter(map, trap);
        map.add(trap, 3);
        trap.failingIn = Thread.currentThread();
        a.add(5);   // parked, as above

        // The drain's result hashes trap, which throws: everything goes back, the parked 5 too.
        assertThatThrownBy(map::drain).isInstanceOf(OutOfMemoryError.class);
        assertThat(map.get("a")).isEqualTo(5L);

        trap.failingIn = null;
        assertThat(map.drain()).isEqualTo(Map.of("a", 5L, trap, 3L));
        assertThat(map.drain()).isEmpty();
    }
}
