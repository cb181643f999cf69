package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.Counter;
import dev.tally.counter.impl.CounterMapReviewTest.TrapKey;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Review of 72d160c: drain() "returns those [keys] that were not zero" and snapshot() "every key
 * whose value is not zero" (CounterMap). A parked amount is merged into the result with
 * Long::sum after the table's non-zero values are put, so a parked -5 and a held +5 of the same
 * key leave an entry of 0 in both. Failed on 72d160c, fixed since: snapshot {a=0}, drain {a=0}.
 */
final class ParkingZeroEntryReviewTest {

    @Test
    void aParkedAmountThatCancelsTheHeldOneLeavesNoZeroEntry() {
        StripedCounterMap<Object> map = new StripedCounterMap<>();
        TrapKey trap = new TrapKey("trap");
        Counter a = ParkingScaleReviewTest.removedHandles(map, trap, new Object[] {"a"})[0];
        trap.failingIn = Thread.currentThread();
        a.add(-5);   // lands in the retired stripes; the re-insert's rebuild throws: parked
        trap.failingIn = null;
        map.add("a", 5);   // "a" back in the table, with 5
        assertThat(map.get("a")).isZero();
        Map<Object, Long> snapshot = map.snapshot();
        Map<Object, Long> drained = map.drain();
        System.out.println("[review] snapshot " + snapshot + ", drain " + drained);
        assertThat(snapshot).as("snapshot").doesNotContainKey("a");
        assertThat(drained).as("drain").doesNotContainKey("a");
    }
}
