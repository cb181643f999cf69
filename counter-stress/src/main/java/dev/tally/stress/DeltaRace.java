package dev.tally.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.tally.counter.Counter;
import dev.tally.counter.impl.AtomicCounter;
import dev.tally.counter.impl.LockingCounter;
import dev.tally.counter.impl.PerThreadCounter;
import dev.tally.counter.impl.StripedCounter;
import dev.tally.counter.impl.SynchronizedCounter;
import dev.tally.counter.impl.UnsynchronizedCounter;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.J_Result;

/**
 * Scenario 2, distinct deltas: two threads add different amounts, then the arbiter reads. The
 * naive counter's result names the update it lost; every thread-safe counter ends on the exact sum.
 * Two pairs: {@code 1} and {@code 2} (sum 3), and {@code -1} and {@code 2} (sum 1), so that a
 * negative delta is raced too.
 *
 * <p>Outcomes seen by the proof run on 2026-11-25 (JDK 17.0.15, 2-core KVM Intel Xeon;
 * interpreter, C1, C2, and C2 with stress flags, each with and without biased locking), in
 * samples per outcome:
 * <pre>
 * Unsynchronized:         [1] 9,970,850 interesting; [2] 10,628,604 interesting; [3] 227,007,994
 * Synchronized:           [3] 72,872,088
 * Locking:                [3] 40,943,768
 * Atomic:                 [3] 94,949,528
 * Striped:                [3] 47,098,008
 * UnsynchronizedNegative: [-1] 11,329,885 interesting; [1] 236,733,632; [2] 11,504,251 interesting
 * SynchronizedNegative:   [1] 73,803,928
 * LockingNegative:        [1] 41,332,888
 * AtomicNegative:         [1] 93,341,848
 * StripedNegative:        [1] 48,029,848
 * </pre>
 * The PerThreadCounter variants came later; the gate's quick run in {@code mvn -B verify} on
 * 2026-11-29 (JDK 17.0.15, but a 2-core KVM AMD EPYC; C2 only, one fork each) saw:
 * <pre>
 * PerThread:                [3] 1,460,262
 * PerThreadHandles:         [3] 5,259,302
 * PerThreadNegative:        [1] 1,419,302
 * PerThreadHandlesNegative: [1] 4,747,302
 * </pre>
 */
public final class DeltaRace {

    private DeltaRace() {
    }

    /** The naive counter adding 1 and 2: the result shows which add was lost. */
    @JCStressTest
    @MustShowInteresting
    @Description("count += delta from two threads: one of the adds 1 and 2 can be lost")
    @Outcome(id = "3", expect = ACCEPTABLE, desc = "both adds counted")
    @Outcome(id = "2", expect = ACCEPTABLE_INTERESTING, desc = "lost update: the add of 1 was lost")
    @Outcome(id = "1", expect = ACCEPTABLE_INTERESTING, desc = "lost update: the add of 2 was lost")
    @Outcome(expect = FORBIDDEN, desc = "not a sum of the two adds")
    @State
    public static class Unsynchronized {
        private final Counter counter = new UnsynchronizedCounter();

        @Actor
        public void actor1() {
            counter.add(1);
        }

        @Actor
        public void actor2() {
            counter.add(2);
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** SynchronizedCounter adding 1 and 2: always the exact sum. */
    @JCStressTest
    @Description("SynchronizedCounter counts both adds, 1 and 2")
    @Outcome(id = "3", expect = ACCEPTABLE, desc = "both adds counted")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost")
    @State
    public static class Synchronized {
        private final Counter counter = new SynchronizedCounter();

        @Actor
        public void actor1() {
            counter.add(1);
        }

        @Actor
        public void actor2() {
            counter.add(2);
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** LockingCounter adding 1 and 2: always the exact sum. */
    @JCStressTest
    @Description("LockingCounter counts both adds, 1 and 2")
    @Outcome(id = "3", expect = ACCEPTABLE, desc = "both adds counted")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost")
    @State
    public static class Locking {
        private final Counter counter = new LockingCounter();

        @Actor
        public void actor1() {
            counter.add(1);
        }

        @Actor
        public void actor2() {
            counter.add(2);
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** AtomicCounter adding 1 and 2: always the exact sum. */
    @JCStressTest
    @Description("AtomicCounter counts both adds, 1 and 2")
    @Outcome(id = "3", expect = ACCEPTABLE, desc = "both adds counted")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost")
    @State
    public static class Atomic {
        private final Counter counter = new AtomicCounter();

        @Actor
        public void actor1() {
            counter.add(1);
        }

        @Actor
        public void actor2() {
            counter.add(2);
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** StripedCounter adding 1 and 2: always the exact sum. */
    @JCStressTest
    @Description("StripedCounter counts both adds, 1 and 2")
    @Outcome(id = "3", expect = ACCEPTABLE, desc = "both adds counted")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost")
    @State
    public static class Striped {
        private final Counter counter = new StripedCounter();

        @Actor
        public void actor1() {
            counter.add(1);
        }

        @Actor
        public void actor2() {
            counter.add(2);
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** PerThreadCounter through its Counter methods adding 1 and 2: always the exact sum. */
    @JCStressTest
    @Description("PerThreadCounter counts both adds, 1 and 2, made through its Counter methods")
    @Outcome(id = "3", expect = ACCEPTABLE, desc = "both adds counted")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost")
    @State
    public static class PerThread {
        private final Counter counter = new PerThreadCounter();

        @Actor
        public void actor1() {
            counter.add(1);
        }

        @Actor
        public void actor2() {
            counter.add(2);
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /**
     * PerThreadCounter handles adding 1 and 2: each actor opens a handle, adds through it and closes
     * it, so the two cells are created and folded while the other thread adds.
     */
    @JCStressTest
    @Description("PerThreadCounter handles opened, written and closed at once count both adds, 1 and 2")
    @Outcome(id = "3", expect = ACCEPTABLE, desc = "both adds counted")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost or counted twice")
    @State
    public static class PerThreadHandles {
        private final PerThreadCounter counter = new PerThreadCounter();

        @Actor
        public void actor1() {
            try (PerThreadCounter.Writer writer = counter.writer()) {
                writer.add(1);
            }
        }

        @Actor
        public void actor2() {
            try (PerThreadCounter.Writer writer = counter.writer()) {
                writer.add(2);
            }
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** The naive counter adding -1 and 2: the result shows which add was lost. */
    @JCStressTest
    @MustShowInteresting
    @Description("count += delta from two threads: one of the adds -1 and 2 can be lost")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "both adds counted")
    @Outcome(id = "2", expect = ACCEPTABLE_INTERESTING, desc = "lost update: the add of -1 was lost")
    @Outcome(id = "-1", expect = ACCEPTABLE_INTERESTING, desc = "lost update: the add of 2 was lost")
    @Outcome(expect = FORBIDDEN, desc = "not a sum of the two adds")
    @State
    public static class UnsynchronizedNegative {
        private final Counter counter = new UnsynchronizedCounter();

        @Actor
        public void actor1() {
            counter.add(-1);
        }

        @Actor
        public void actor2() {
            counter.add(2);
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** SynchronizedCounter adding -1 and 2: always the exact sum. */
    @JCStressTest
    @Description("SynchronizedCounter counts both adds, -1 and 2")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "both adds counted")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost")
    @State
    public static class SynchronizedNegative {
        private final Counter counter = new SynchronizedCounter();

        @Actor
        public void actor1() {
            counter.add(-1);
        }

        @Actor
        public void actor2() {
            counter.add(2);
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** LockingCounter adding -1 and 2: always the exact sum. */
    @JCStressTest
    @Description("LockingCounter counts both adds, -1 and 2")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "both adds counted")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost")
    @State
    public static class LockingNegative {
        private final Counter counter = new LockingCounter();

        @Actor
        public void actor1() {
            counter.add(-1);
        }

        @Actor
        public void actor2() {
            counter.add(2);
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** AtomicCounter adding -1 and 2: always the exact sum. */
    @JCStressTest
    @Description("AtomicCounter counts both adds, -1 and 2")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "both adds counted")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost")
    @State
    public static class AtomicNegative {
        private final Counter counter = new AtomicCounter();

        @Actor
        public void actor1() {
            counter.add(-1);
        }

        @Actor
        public void actor2() {
            counter.add(2);
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** StripedCounter adding -1 and 2: always the exact sum. */
    @JCStressTest
    @Description("StripedCounter counts both adds, -1 and 2")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "both adds counted")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost")
    @State
    public static class StripedNegative {
        private final Counter counter = new StripedCounter();

        @Actor
        public void actor1() {
            counter.add(-1);
        }

        @Actor
        public void actor2() {
            counter.add(2);
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** PerThreadCounter through its Counter methods adding -1 and 2: always the exact sum. */
    @JCStressTest
    @Description("PerThreadCounter counts both adds, -1 and 2, made through its Counter methods")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "both adds counted")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost")
    @State
    public static class PerThreadNegative {
        private final Counter counter = new PerThreadCounter();

        @Actor
        public void actor1() {
            counter.add(-1);
        }

        @Actor
        public void actor2() {
            counter.add(2);
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /**
     * PerThreadCounter handles adding -1 and 2: each actor opens a handle, adds through it and closes
     * it, so the two cells are created and folded while the other thread adds.
     */
    @JCStressTest
    @Description("PerThreadCounter handles opened, written and closed at once count both adds, -1 and 2")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "both adds counted")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost or counted twice")
    @State
    public static class PerThreadHandlesNegative {
        private final PerThreadCounter counter = new PerThreadCounter();

        @Actor
        public void actor1() {
            try (PerThreadCounter.Writer writer = counter.writer()) {
                writer.add(-1);
            }
        }

        @Actor
        public void actor2() {
            try (PerThreadCounter.Writer writer = counter.writer()) {
                writer.add(2);
            }
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }
}
