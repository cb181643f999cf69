package dev.tally.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.tally.counter.Counter;
import dev.tally.counter.CounterMap;
import dev.tally.counter.impl.StripedCounterMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJ_Result;

/**
 * Map scenario 2, an add racing the removal of its key: the key has been idle long enough that
 * this drain removes it (for {@code StripedCounterMap}, zero at the drain before; for the peer,
 * zero now). One thread adds 1 to it, the other calls {@code drain()} once, then the arbiter reads
 * the key and the number of keys held. The result is {@code drained, remaining, size}.
 *
 * <p>{@code StripedCounterMap} retires the key's slot with a compare-and-set, then swaps out what
 * it holds; an add that lands after the swap sees the retirement and moves itself to a new slot
 * for the key. So {@code 1, 0, 1} (the add landed before the drain's first swap: the key was
 * active, and stays), {@code 1, 0, 0} (it landed between that swap and the retirement: the
 * retiring swap takes it) or {@code 0, 1, 1} (it came after: the key is back, or was never
 * removed); never lost, never counted twice.
 *
 * <p>The peer, a {@code ConcurrentHashMap<K, LongAdder>} drained with {@code sumThenReset()} and
 * the removal of the adders that were zero: the add looks the adder up, the drain reads zero and
 * removes it, the add lands in it ({@code 0, 0, 0}: lost).
 *
 * <p>Outcomes seen by the gate's settings on 2026-11-29 (JDK 17.0.15, 2-core KVM AMD EPYC; C2
 * only, with and without biased locking, one fork each), in samples per outcome:
 * <pre>
 * Striped:                       [0, 1, 1] 99,627; [1, 0, 0] 736; [1, 0, 1] 1,023,307
 * ConcurrentHashMapOfLongAdder:  [0, 0, 0] 4,281 interesting; [0, 1, 1] 122,820;
 *                                [1, 0, 1] 1,599,401
 * </pre>
 * StripedHandle, the gate's settings on this scenario alone, 2026-11-29 (same machine):
 * <pre>
 * StripedHandle:                 [0, 1, 1] 22,188; [1, 0, 0] 240; [1, 0, 1] 281,510
 * </pre>
 * StripedCached, the gate's settings, 2026-11-29 (same machine):
 * <pre>
 * StripedCached:                 [0, 1, 1] 6,382; [1, 0, 0] 149; [1, 0, 1] 192,959
 * </pre>
 * {@code 1, 0, 0} is the add racing the removal, counted by the retiring swap.
 * The control's failure showed thousands of times in that run, so the gate requires it
 * ({@link MustShowInteresting}).
 */
public final class MapRemovalRace {

    private MapRemovalRace() {
    }

    /** StripedCounterMap: the key was zero at the last drain, so this drain removes it. */
    @JCStressTest
    @Description("StripedCounterMap: an add racing its key's removal is counted exactly once")
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "the add was drained, the key removed")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "the add came after the drain (the key back if removed)")
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "the add was drained before the idle check, the key kept")
    @Outcome(expect = FORBIDDEN, desc = "the add was lost or counted twice")
    @State
    public static class Striped {
        private final CounterMap<String> map = new StripedCounterMap<>();

        {
            map.add("k", 1);
            map.drain();                // takes the 1
            map.drain();                // zero: idle; the next drain removes it
        }

        @Actor
        public void adder() {
            map.add("k", 1);
        }

        @Actor
        public void drainer(JJJ_Result r) {
            r.r1 = map.drain().getOrDefault("k", 0L);
        }

        @Arbiter
        public void arbiter(JJJ_Result r) {
            r.r2 = map.get("k");
            r.r3 = map.size();
        }
    }

    /**
     * StripedCounterMap through a {@code counter(key)} handle bound before the race: the handle
     * adds to the stripes it keeps with no check before the add, and reads their retired flag
     * after it.
     */
    @JCStressTest
    @Description("StripedCounterMap.counter(key): an add racing its key's removal is counted exactly once")
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "the add was drained, the key removed")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "the add came after the drain (the key back if removed)")
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "the add was drained before the idle check, the key kept")
    @Outcome(expect = FORBIDDEN, desc = "the add was lost or counted twice")
    @State
    public static class StripedHandle {
        private final CounterMap<String> map = new StripedCounterMap<>();
        private final Counter handle = map.counter("k");

        {
            handle.add(1);              // binds the handle
            map.drain();                // takes the 1
            map.drain();                // zero: idle; the next drain removes it
        }

        @Actor
        public void adder() {
            handle.add(1);
        }

        @Actor
        public void drainer(JJJ_Result r) {
            r.r1 = map.drain().getOrDefault("k", 0L);
        }

        @Arbiter
        public void arbiter(JJJ_Result r) {
            r.r2 = map.get("k");
            r.r3 = map.size();
        }
    }

    /**
     * StripedCounterMap through its cache of contended keys: the key's slot is inflated and its
     * stripes cached before the race, so the adder's {@code add} skips the table and, as a handle
     * does, reads the stripes' retired flag only after the add.
     */
    @JCStressTest
    @Description("StripedCounterMap, a cached contended key: an add racing its key's removal is counted exactly once")
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "the add was drained, the key removed")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "the add came after the drain (the key back if removed)")
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "the add was drained before the idle check, the key kept")
    @Outcome(expect = FORBIDDEN, desc = "the add was lost or counted twice")
    @State
    public static class StripedCached {
        private final CounterMap<String> map = new StripedCounterMap<>();

        {
            map.counter("k").add(1);    // inflates the key's slot
            map.add("k", 1);            // finds it inflated: caches its stripes
            map.drain();                // takes the 2
            map.drain();                // zero: idle; the next drain removes it
        }

        @Actor
        public void adder() {
            map.add("k", 1);
        }

        @Actor
        public void drainer(JJJ_Result r) {
            r.r1 = map.drain().getOrDefault("k", 0L);
        }

        @Arbiter
        public void arbiter(JJJ_Result r) {
            r.r2 = map.get("k");
            r.r3 = map.size();
        }
    }

    /** The negative control: the adder at zero, so this drain removes it. */
    @JCStressTest
    @MustShowInteresting
    @Description("ConcurrentHashMap<K, LongAdder>: an add racing the removal of its adder is lost")
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "the add was drained, the adder kept")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "the add came after the drain")
    @Outcome(id = "0, 0, 0", expect = ACCEPTABLE_INTERESTING, desc = "lost: the add went to the adder the drain removed")
    @Outcome(expect = FORBIDDEN, desc = "not a value this map can hold")
    @State
    public static class ConcurrentHashMapOfLongAdder {
        private final ConcurrentHashMap<String, LongAdder> map = new ConcurrentHashMap<>();

        {
            map.computeIfAbsent("k", k -> new LongAdder()).add(1);
            MapDrainRace.drain(map);    // takes the 1; the adder stays, at zero
        }

        @Actor
        public void adder() {
            map.computeIfAbsent("k", k -> new LongAdder()).add(1);
        }

        @Actor
        public void drainer(JJJ_Result r) {
            r.r1 = MapDrainRace.drain(map).getOrDefault("k", 0L);
        }

        @Arbiter
        public void arbiter(JJJ_Result r) {
            LongAdder adder = map.get("k");
            r.r2 = adder == null ? 0 : adder.sum();
            r.r3 = map.size();
        }
    }
}
