package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import dev.tally.counter.Counter;
import dev.tally.counter.CounterMap;
import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The single-threaded contract of {@link StripedCounterMap}: values, drains, removal, the cap. */
final class StripedCounterMapTest {

    private final StripedCounterMap<String> map = new StripedCounterMap<>();

    @Test
    void aKeyNeverAddedToReadsZeroAndIsNotHeld() {
        assertThat(map.get("never")).isZero();
        assertThat(map.getAndReset("never")).isZero();
        assertThat(map.size()).isZero();
    }

    @Test
    void addIncrementAndDecrementChangeOnlyTheirKey() {
        map.add("a", 40);
        map.add("a", -15);
        map.increment("a");
        map.decrement("b");
        map.add("c", 0);
        assertThat(map.get("a")).isEqualTo(26);
        assertThat(map.get("b")).isEqualTo(-1);
        assertThat(map.get("c")).isZero();
        assertThat(map.size()).as("an add of 0 does not make the map hold its key").isEqualTo(2);
    }

    @Test
    void valuesWrapOnOverflowLikeLong() {
        map.add("a", Long.MAX_VALUE);
        map.increment("a");
        assertThat(map.get("a")).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void getAndResetReturnsTheValueAndLeavesZero() {
        map.add("a", 5);
        map.add("b", 7);
        assertThat(map.getAndReset("a")).isEqualTo(5);
        assertThat(map.get("a")).isZero();
        assertThat(map.get("b")).isEqualTo(7);
    }

    @Test
    void drainReturnsEveryNonZeroKeyAndResetsThem() {
        map.add("a", 1);
        map.add("b", 2);
        map.add("zero", 3);
        map.add("zero", -3);
        assertThat(map.drain()).isEqualTo(Map.of("a", 1L, "b", 2L));
        assertThat(map.get("a")).isZero();
        assertThat(map.drain()).isEmpty();
    }

    @Test
    void snapshotReturnsEveryNonZeroKeyAndResetsNothing() {
        map.add("a", 1);
        map.add("b", -2);
        assertThat(map.snapshot()).isEqualTo(Map.of("a", 1L, "b", -2L));
        assertThat(map.get("a")).isEqualTo(1);
    }

    @Test
    void aKeyAtZeroThroughAWholeDrainPeriodIsRemovedByTheNextDrain() {
        map.add("idle", 1);
        map.add("busy", 1);
        map.drain();                       // takes both
        assertThat(map.size()).isEqualTo(2);
        map.add("busy", 1);
        map.drain();                       // idle: zero for the first time
        assertThat(map.size()).as("a key zero at one drain is kept").isEqualTo(2);
        map.add("busy", 1);
        map.drain();                       // idle: zero again, removed
        assertThat(map.size()).isEqualTo(1);
        assertThat(map.get("idle")).isZero();
        map.add("idle", 4);
        assertThat(map.get("idle")).as("adding brings a removed key back").isEqualTo(4);
    }

    @Test
    void getAndResetOfANonZeroValueCountsAsActivity() {
        map.add("a", 1);
        map.drain();
        map.drain();                       // zero: marked idle
        map.add("a", 2);
        assertThat(map.getAndReset("a")).isEqualTo(2);
        map.drain();
        assertThat(map.size()).isOne();
    }

    @Test
    void aCounterFromCounterKeepsCountingAfterItsKeyWasRemoved() {
        Counter requests = map.counter("requests");
        requests.add(3);
        assertThat(map.drain()).isEqualTo(Map.of("requests", 3L));
        map.drain();
        map.drain();
        assertThat(map.size()).isZero();
        requests.increment();
        requests.increment();
        assertThat(map.get("requests")).isEqualTo(2);
        assertThat(requests.get()).isEqualTo(2);
        assertThat(requests.getAndReset()).isEqualTo(2);
        assertThat(map.get("requests")).isZero();
    }

    @Test
    void aCounterFromCounterKeepsCountingAcrossRebuildsOfTheTable() {
        Counter first = map.counter("first");
        first.increment();
        for (int i = 0; i < 10_000; i++) {
            map.increment("k" + i);
        }
        first.increment();
        assertThat(map.get("first")).isEqualTo(2);
        assertThat(map.size()).isEqualTo(10_001);
    }

    @Test
    void anIdleCounterFromCounterKeepsNoReplacedTableAlive() {
        Counter handle = map.counter("handle");
        for (int i = 0; i < 10_000; i++) {
            map.increment("k" + i);
        }
        handle.increment();                 // bound while the table is large
        WeakReference<Object> large = new WeakReference<>(map.currentTable());
        map.drain();
        map.drain();
        map.drain();                        // every key removed, the table shrunk
        assertThat(map.currentTable()).isNotSameAs(large.get());
        for (int i = 0; i < 20 && large.get() != null; i++) {
            System.gc();
        }
        assertThat(large.get()).as("the large table, after the map replaced it").isNull();
        handle.add(2);
        assertThat(map.get("handle")).isEqualTo(2);
    }

    @Test
    void theTableGrowsWithTheKeysAndShrinksOnceTheyAreRemoved() {
        for (int i = 0; i < 10_000; i++) {
            map.add("k" + i, i + 1);
        }
        int grown = map.capacity();
        assertThat(grown).isGreaterThanOrEqualTo(10_000 * 4 / 3);
        Map<String, Long> drained = map.drain();
        assertThat(drained).hasSize(10_000).containsEntry("k9999", 10_000L);
        map.drain();
        map.drain();
        assertThat(map.size()).isZero();
        assertThat(map.capacity()).isLessThan(grown / 4);
    }

    @Test
    void pastTheCapAddsToNewKeysGoToTheOverflowKeyExactly() {
        StripedCounterMap<String> capped = new StripedCounterMap<>(2, "other");
        capped.add("a", 1);
        capped.add("b", 2);
        capped.add("c", 3);
        capped.add("d", 4);
        capped.add("a", 10);
        assertThat(capped.snapshot()).isEqualTo(Map.of("a", 11L, "b", 2L, "other", 7L));
        assertThat(capped.size()).isEqualTo(3);
        Counter late = capped.counter("e");
        late.increment();
        assertThat(capped.get("other")).isEqualTo(8);
    }

    @Test
    void keysRemovedMakeRoomUnderTheCap() {
        StripedCounterMap<String> capped = new StripedCounterMap<>(1, "other");
        capped.add("a", 1);
        capped.drain();
        capped.drain();
        capped.drain();                     // "a" removed
        capped.add("b", 5);
        assertThat(capped.get("b")).isEqualTo(5);
        assertThat(capped.get("other")).isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void rejectsACapBelowOneNamingTheValue(int maxKeys) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new StripedCounterMap<>(maxKeys, "other"))
                .withMessageContaining("maxKeys")
                .withMessageContaining(Integer.toString(maxKeys));
    }

    @Test
    void rejectsANullOverflowKeyNamingIt() {
        assertThatNullPointerException().isThrownBy(() -> new StripedCounterMap<String>(10, null))
                .withMessage("overflowKey");
    }

    static Stream<Consumer<CounterMap<String>>> callsWithANullKey() {
        return Stream.of(m -> m.add(null, 1), m -> m.add(null, 0), m -> m.increment(null),
                m -> m.decrement(null), m -> m.get(null), m -> m.getAndReset(null),
                m -> m.counter(null));
    }

    @ParameterizedTest
    @MethodSource("callsWithANullKey")
    void aNullKeyIsRejectedNamingTheArgument(Consumer<CounterMap<String>> call) {
        assertThatNullPointerException().isThrownBy(() -> call.accept(map)).withMessage("key");
    }

    @Test
    void aContendedKeysAddsGoThroughTheCacheUntilItIsRemovedAndStillCountAfter() {
        map.counter("hot").add(1);   // inflates the key's slot
        map.add("hot", 2);           // finds it inflated: caches its stripes
        assertThat(map.cachedKeys()).as("cached after an add found the key inflated").isEqualTo(1);
        map.add("hot", 3);           // through the cache
        assertThat(map.drain()).isEqualTo(Map.of("hot", 6L));
        map.drain();                 // zero: idle
        map.drain();                 // zero again: removed, and its cache entry emptied
        assertThat(map.size()).isZero();
        assertThat(map.cachedKeys()).as("cached after the key was removed").isZero();
        map.add("hot", 4);
        assertThat(map.get("hot")).isEqualTo(4L);
        assertThat(map.drain()).isEqualTo(Map.of("hot", 4L));
    }

    @Test
    void anAddThroughAStaleCacheEntryMovesToTheKeysNewSlot() {
        map.counter("hot").add(1);
        map.add("hot", 1);
        map.drain();
        map.drain();
        for (int i = 0; i < 40; i++) {
            map.add("k" + i, 1);   // grows the table: every slot retired, the cached stripes too
        }
        // No drain has emptied the entry since: the add lands in retired stripes, sees it, and
        // moves what it added to the key's slot in the new table.
        map.add("hot", 5);
        assertThat(map.get("hot")).isEqualTo(5L);
        assertThat(map.drain()).containsEntry("hot", 5L);
    }
}
