package dev.tally.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

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
import org.openjdk.jcstress.infra.results.JJJJ_Result;

/**
 * Map scenario 3, two new keys racing for the last place under the cap: a map capped at one key
 * besides the overflow key, one thread adds 1 to {@code "a"}, the other 1 to {@code "b"}, then the
 * arbiter reads {@code a, b, overflow, size}. {@code StripedCounterMap} admits one of them and
 * sends the other's add to the overflow key: {@code 1, 0, 1, 2} or {@code 0, 1, 1, 2}, never both
 * keys held, never an add lost.
 *
 * <p>The peer, a {@code ConcurrentHashMap<K, LongAdder>} with the cap a program adds to it (check
 * {@code size()}, then {@code computeIfAbsent}), lets both through when both checks run before
 * either insert: {@code 1, 1, 0, 2}, a key past the cap.
 *
 * <p>Outcomes seen by the gate's settings on 2026-11-30 (JDK 17.0.15, 2-core KVM AMD EPYC; C2
 * only, with and without biased locking, one fork each), in samples per outcome:
 * <pre>
 * Striped:                       [0, 1, 1, 2] 1,326,536; [1, 0, 1, 2] 911,966
 * ConcurrentHashMapOfLongAdder:  [0, 1, 1, 2] 876,808; [1, 0, 1, 2] 816,784;
 *                                [1, 1, 0, 2] 32,910 interesting
 * </pre>
 * The control's failure showed thousands of times in that run, so the gate requires it
 * ({@link MustShowInteresting}).
 */
public final class MapCapRace {

    private MapCapRace() {
    }

    /** StripedCounterMap capped at one key besides "other". */
    @JCStressTest
    @Description("StripedCounterMap: past the cap an add goes to the overflow key, counted once")
    @Outcome(id = "1, 0, 1, 2", expect = ACCEPTABLE, desc = "a admitted, b's add to the overflow key")
    @Outcome(id = "0, 1, 1, 2", expect = ACCEPTABLE, desc = "b admitted, a's add to the overflow key")
    @Outcome(expect = FORBIDDEN, desc = "the cap broken, or an add lost or counted twice")
    @State
    public static class Striped {
        private final CounterMap<String> map = new StripedCounterMap<>(1, "other");

        @Actor
        public void first() {
            map.add("a", 1);
        }

        @Actor
        public void second() {
            map.add("b", 1);
        }

        @Arbiter
        public void arbiter(JJJJ_Result r) {
            r.r1 = map.get("a");
            r.r2 = map.get("b");
            r.r3 = map.get("other");
            r.r4 = map.size();
        }
    }

    /** The negative control: the cap checked with size() before computeIfAbsent. */
    @JCStressTest
    @MustShowInteresting
    @Description("ConcurrentHashMap<K, LongAdder> with a size() check lets a key past the cap")
    @Outcome(id = "1, 0, 1, 2", expect = ACCEPTABLE, desc = "a admitted, b's add to the overflow key")
    @Outcome(id = "0, 1, 1, 2", expect = ACCEPTABLE, desc = "b admitted, a's add to the overflow key")
    @Outcome(id = "1, 1, 0, 2", expect = ACCEPTABLE_INTERESTING, desc = "both admitted: the cap broken")
    @Outcome(expect = FORBIDDEN, desc = "an add lost or counted twice")
    @State
    public static class ConcurrentHashMapOfLongAdder {
        private static final int MAX_KEYS = 1;
        private final ConcurrentHashMap<String, LongAdder> map = new ConcurrentHashMap<>();

        private void add(String key) {
            LongAdder adder = map.get(key);
            if (adder == null) {
                String target = map.size() < MAX_KEYS ? key : "other";
                adder = map.computeIfAbsent(target, k -> new LongAdder());
            }
            adder.add(1);
        }

        @Actor
        public void first() {
            add("a");
        }

        @Actor
        public void second() {
            add("b");
        }

        @Arbiter
        public void arbiter(JJJJ_Result r) {
            r.r1 = sum("a");
            r.r2 = sum("b");
            r.r3 = sum("other");
            r.r4 = map.size();
        }

        private long sum(String key) {
            LongAdder adder = map.get(key);
            return adder == null ? 0 : adder.sum();
        }
    }
}
