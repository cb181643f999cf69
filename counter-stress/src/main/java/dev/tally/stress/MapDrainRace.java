package dev.tally.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.tally.counter.CounterMap;
import dev.tally.counter.impl.StripedCounterMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

/**
 * Map scenario 1, adds racing a drain of the whole map: one thread adds 1 and then 2 to a key the
 * map does not hold yet, the other calls {@code drain()} once, then the arbiter reads the key. The
 * result is {@code drained, remaining}; for {@code StripedCounterMap} they add up to 3.
 *
 * <p>The peer is what a Java program writes today: a {@code ConcurrentHashMap<K, LongAdder>},
 * drained by iterating, calling {@code sumThenReset()} on each adder and removing the adders that
 * were zero, so that idle keys do not pile up. Since JDK 9 {@code sumThenReset()} swaps each cell,
 * so one adder alone counts each add once; the loss is the removal: the drain finds the adder the
 * first add has just created, still at zero, and removes it, and the add lands in an adder no map
 * holds ({@code 0, 2}: the 1 lost; {@code 0, 0}: both, when the second add found it too).
 *
 * <p>Outcomes seen by the gate's settings on 2026-11-30 (JDK 17.0.15, 2-core KVM AMD EPYC; C2
 * only, with and without biased locking, one fork each), in samples per outcome:
 * <pre>
 * Striped:                       [0, 3] 986,776; [1, 2] 16,563; [3, 0] 1,061,083
 * ConcurrentHashMapOfLongAdder:  [0, 0] 3,082 interesting; [0, 2] 10 interesting;
 *                                [0, 3] 3,058,178; [1, 2] 4,052; [3, 0] 709,180
 * </pre>
 * The control's failure showed thousands of times in that run, so the gate requires it
 * ({@link MustShowInteresting}).
 */
public final class MapDrainRace {

    private MapDrainRace() {
    }

    /** StripedCounterMap: the drain swaps the key's slot, taking a prefix of the adds. */
    @JCStressTest
    @Description("StripedCounterMap.drain() counts each add exactly once")
    @Outcome(id = "0, 3", expect = ACCEPTABLE, desc = "drained before both adds")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "drained between the adds")
    @Outcome(id = "3, 0", expect = ACCEPTABLE, desc = "drained after both adds")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost or counted twice")
    @State
    public static class Striped {
        private final CounterMap<String> map = new StripedCounterMap<>();

        @Actor
        public void adder() {
            map.add("k", 1);
            map.add("k", 2);
        }

        @Actor
        public void drainer(JJ_Result r) {
            r.r1 = map.drain().getOrDefault("k", 0L);
        }

        @Arbiter
        public void arbiter(JJ_Result r) {
            r.r2 = map.get("k");
        }
    }

    /** The negative control: iterate, sumThenReset(), remove the adders that were zero. */
    @JCStressTest
    @MustShowInteresting
    @Description("ConcurrentHashMap<K, LongAdder> drained with sumThenReset() and removal loses adds")
    @Outcome(id = "0, 3", expect = ACCEPTABLE, desc = "drained before both adds")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "drained between the adds")
    @Outcome(id = "3, 0", expect = ACCEPTABLE, desc = "drained after both adds")
    @Outcome(id = {"0, 0", "0, 2", "1, 0"}, expect = ACCEPTABLE_INTERESTING, desc = "lost: an add went to an adder the drain removed")
    @Outcome(expect = FORBIDDEN, desc = "not a value this map can hold")
    @State
    public static class ConcurrentHashMapOfLongAdder {
        private final ConcurrentHashMap<String, LongAdder> map = new ConcurrentHashMap<>();

        @Actor
        public void adder() {
            map.computeIfAbsent("k", k -> new LongAdder()).add(1);
            map.computeIfAbsent("k", k -> new LongAdder()).add(2);
        }

        @Actor
        public void drainer(JJ_Result r) {
            r.r1 = drain(map).getOrDefault("k", 0L);
        }

        @Arbiter
        public void arbiter(JJ_Result r) {
            LongAdder adder = map.get("k");
            r.r2 = adder == null ? 0 : adder.sum();
        }
    }

    /** The usual drain of the peer: every non-zero key's value, removing the keys at zero. */
    static Map<String, Long> drain(ConcurrentHashMap<String, LongAdder> map) {
        Map<String, Long> out = new HashMap<>();
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
}
