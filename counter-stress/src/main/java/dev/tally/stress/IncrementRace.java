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
 * Scenario 1, the lost update: two threads increment once each, then the arbiter reads.
 *
 * <p>{@code count += 1} is a read, an add and a write. When both threads read 0 before either
 * writes, both write 1 and one increment is gone. Every thread-safe counter must end at 2.
 *
 * <p>Outcomes seen by the proof run on 2026-11-25 (JDK 17.0.15, 2-core KVM Intel Xeon;
 * interpreter, C1, C2, and C2 with stress flags, each with and without biased locking), in
 * samples per outcome:
 * <pre>
 * Unsynchronized:         [1] 19,627,139 interesting; [2] 240,503,829
 * Synchronized:           [2] 71,704,728
 * Locking:                [2] 41,486,488
 * Atomic:                 [2] 102,004,888
 * Striped:                [2] 44,998,808
 * PerThread:              [2] 6,957,208
 * PerThreadHandles:       [2] 20,914,328
 * </pre>
 */
public final class IncrementRace {

    private IncrementRace() {
    }

    /** The naive counter: both threads may read 0 and both write 1. */
    @JCStressTest
    @MustShowInteresting
    @Description("count += 1 from two threads loses an increment when the read-add-write steps interleave")
    @Outcome(id = "2", expect = ACCEPTABLE, desc = "both increments counted")
    @Outcome(id = "1", expect = ACCEPTABLE_INTERESTING, desc = "lost update: both read 0 and wrote 1")
    @Outcome(expect = FORBIDDEN, desc = "impossible for two increments")
    @State
    public static class Unsynchronized {
        private final Counter counter = new UnsynchronizedCounter();

        @Actor
        public void actor1() {
            counter.increment();
        }

        @Actor
        public void actor2() {
            counter.increment();
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** The intrinsic lock: the two read-add-write sequences cannot interleave. */
    @JCStressTest
    @Description("SynchronizedCounter counts both increments")
    @Outcome(id = "2", expect = ACCEPTABLE, desc = "both increments counted")
    @Outcome(expect = FORBIDDEN, desc = "an increment was lost")
    @State
    public static class Synchronized {
        private final Counter counter = new SynchronizedCounter();

        @Actor
        public void actor1() {
            counter.increment();
        }

        @Actor
        public void actor2() {
            counter.increment();
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** A ReentrantLock held around the update. */
    @JCStressTest
    @Description("LockingCounter counts both increments")
    @Outcome(id = "2", expect = ACCEPTABLE, desc = "both increments counted")
    @Outcome(expect = FORBIDDEN, desc = "an increment was lost")
    @State
    public static class Locking {
        private final Counter counter = new LockingCounter();

        @Actor
        public void actor1() {
            counter.increment();
        }

        @Actor
        public void actor2() {
            counter.increment();
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** One atomic add per increment. */
    @JCStressTest
    @Description("AtomicCounter counts both increments")
    @Outcome(id = "2", expect = ACCEPTABLE, desc = "both increments counted")
    @Outcome(expect = FORBIDDEN, desc = "an increment was lost")
    @State
    public static class Atomic {
        private final Counter counter = new AtomicCounter();

        @Actor
        public void actor1() {
            counter.increment();
        }

        @Actor
        public void actor2() {
            counter.increment();
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /**
     * One getAndAdd on the stripe each thread maps to, often the same one. The stripes grow only at
     * sampled adds (one in 2^10 of a stripe's growth), which two single increments never reach:
     * this is the race on one shared stripe, and growth is shown by StripedCounterTest.
     */
    @JCStressTest
    @Description("StripedCounter counts both increments, also when both add to one stripe")
    @Outcome(id = "2", expect = ACCEPTABLE, desc = "both increments counted")
    @Outcome(expect = FORBIDDEN, desc = "an increment was lost")
    @State
    public static class Striped {
        private final Counter counter = new StripedCounter();

        @Actor
        public void actor1() {
            counter.increment();
        }

        @Actor
        public void actor2() {
            counter.increment();
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** Through the Counter methods: an atomic add on the shared stripe each thread maps to. */
    @JCStressTest
    @Description("PerThreadCounter's Counter methods count both increments")
    @Outcome(id = "2", expect = ACCEPTABLE, desc = "both increments counted")
    @Outcome(expect = FORBIDDEN, desc = "an increment was lost")
    @State
    public static class PerThread {
        private final Counter counter = new PerThreadCounter();

        @Actor
        public void actor1() {
            counter.increment();
        }

        @Actor
        public void actor2() {
            counter.increment();
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }

    /** Each actor opens a handle, increments through it and closes it, folding its cell in. */
    @JCStressTest
    @Description("PerThreadCounter handles opened, written and closed at once lose nothing")
    @Outcome(id = "2", expect = ACCEPTABLE, desc = "both increments counted")
    @Outcome(expect = FORBIDDEN, desc = "an increment was lost or counted twice")
    @State
    public static class PerThreadHandles {
        private final PerThreadCounter counter = new PerThreadCounter();

        @Actor
        public void actor1() {
            try (PerThreadCounter.Writer writer = counter.writer()) {
                writer.increment();
            }
        }

        @Actor
        public void actor2() {
            try (PerThreadCounter.Writer writer = counter.writer()) {
                writer.increment();
            }
        }

        @Arbiter
        public void arbiter(J_Result r) {
            r.r1 = counter.get();
        }
    }
}
