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
import org.openjdk.jcstress.infra.results.JJ_Result;

/**
 * Scenario 3, adds racing a drain: one thread adds 1 and then 2, the other calls
 * {@code getAndReset()} once, then the arbiter reads what remains. The result is
 * {@code drained, remaining}. For every thread-safe counter the two add up to 3: each add is
 * counted exactly once, in the drain or in what remains. The JDK 8 {@code LongAdder.sumThenReset}
 * summed and then zeroed, so an add that landed in between vanished; the naive counter does the
 * same and can also count an add twice.
 *
 * <p>Outcomes seen by the proof run on 2026-11-25 (JDK 17.0.15, 2-core KVM Intel Xeon;
 * interpreter, C1, C2, and C2 with stress flags, each with and without biased locking), in
 * samples per outcome:
 * <pre>
 * Unsynchronized:         [0, 0] 11,234,516 interesting; [0, 2] 1,241 interesting;
 *                         [0, 3] 71,665,882; [1, 0] 2,875 interesting; [1, 2] 228;
 *                         [1, 3] 5,410 interesting; [3, 0] 79,398,096
 * Synchronized:           [0, 3] 79,947,736; [1, 2] 594,166; [3, 0] 8,130,506
 * Locking:                [0, 3] 42,391,100; [1, 2] 289,210; [3, 0] 7,336,098
 * Atomic:                 [0, 3] 63,909,481; [1, 2] 3,049,912; [3, 0] 15,333,495
 * Striped:                [0, 3] 20,207,993; [1, 2] 1,838,518; [3, 0] 18,129,257
 * PerThreadHandle:        [0, 3] 24,869,919; [1, 2] 537; [3, 0] 3,938,912
 * PerThreadHandleReader:  [0, 3] 25,986,817; [1, 3] 963; [3, 3] 3,282,388
 * </pre>
 * ({@code PerThread}, through the {@code Counter} methods, was added after that run.)
 * The naive {@code 0, 0}: the drain read 0 before both adds and wrote its 0 after them, so both
 * were lost; {@code 1, 3}: the add of 2 read 1 before the drain zeroed it, so the 1 was counted
 * twice.
 *
 * <p>Neither split-cell counter can drain the add of 2 without the add of 1 ({@code 2, 1}), so no
 * variant declares it and the catch-all forbids it. Both adds are positive and come from one
 * thread, so both go to one running sum: the added sum of the handle's cell, or of the thread's
 * stripe of a {@code StripedCounter} (or of a {@code PerThreadCounter} written through its
 * {@code Counter} methods), whose table changes only when a second writer collides with
 * the first, and here there is none. That sum holds 0, then 1, then 3; a drain reads one of those
 * values, never 2. These drains are not snapshots across sums, but here there is only one to
 * read; {@code DrainSplit} mixes signs, so that one writer's adds go to two sums and a drain can
 * take one without the other.
 */
public final class DrainRace {

    private DrainRace() {
    }

    /** The naive counter: the read and the zeroing of a drain let an add slip between them. */
    @JCStressTest
    @Description("a naive drain (read, then zero) loses adds or counts them twice")
    @Outcome(id = "0, 3", expect = ACCEPTABLE, desc = "drained before both adds")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "drained between the adds")
    @Outcome(id = "3, 0", expect = ACCEPTABLE, desc = "drained after both adds")
    @Outcome(id = "[013], [0-3]", expect = ACCEPTABLE_INTERESTING, desc = "lost or counted twice: drained + remaining != 3")
    @Outcome(expect = FORBIDDEN, desc = "not a value the naive counter can hold")
    @State
    public static class Unsynchronized {
        private final Counter counter = new UnsynchronizedCounter();

        @Actor
        public void adder() {
            counter.add(1);
            counter.add(2);
        }

        @Actor
        public void drainer(JJ_Result r) {
            r.r1 = counter.getAndReset();
        }

        @Arbiter
        public void arbiter(JJ_Result r) {
            r.r2 = counter.get();
        }
    }

    /** SynchronizedCounter: a linearizable drain takes a prefix of the adds. */
    @JCStressTest
    @Description("SynchronizedCounter.getAndReset() counts each add exactly once")
    @Outcome(id = "0, 3", expect = ACCEPTABLE, desc = "drained before both adds")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "drained between the adds")
    @Outcome(id = "3, 0", expect = ACCEPTABLE, desc = "drained after both adds")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost or counted twice")
    @State
    public static class Synchronized {
        private final Counter counter = new SynchronizedCounter();

        @Actor
        public void adder() {
            counter.add(1);
            counter.add(2);
        }

        @Actor
        public void drainer(JJ_Result r) {
            r.r1 = counter.getAndReset();
        }

        @Arbiter
        public void arbiter(JJ_Result r) {
            r.r2 = counter.get();
        }
    }

    /** LockingCounter: a linearizable drain takes a prefix of the adds. */
    @JCStressTest
    @Description("LockingCounter.getAndReset() counts each add exactly once")
    @Outcome(id = "0, 3", expect = ACCEPTABLE, desc = "drained before both adds")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "drained between the adds")
    @Outcome(id = "3, 0", expect = ACCEPTABLE, desc = "drained after both adds")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost or counted twice")
    @State
    public static class Locking {
        private final Counter counter = new LockingCounter();

        @Actor
        public void adder() {
            counter.add(1);
            counter.add(2);
        }

        @Actor
        public void drainer(JJ_Result r) {
            r.r1 = counter.getAndReset();
        }

        @Arbiter
        public void arbiter(JJ_Result r) {
            r.r2 = counter.get();
        }
    }

    /** AtomicCounter: a linearizable drain takes a prefix of the adds. */
    @JCStressTest
    @Description("AtomicCounter.getAndReset() counts each add exactly once")
    @Outcome(id = "0, 3", expect = ACCEPTABLE, desc = "drained before both adds")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "drained between the adds")
    @Outcome(id = "3, 0", expect = ACCEPTABLE, desc = "drained after both adds")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost or counted twice")
    @State
    public static class Atomic {
        private final Counter counter = new AtomicCounter();

        @Actor
        public void adder() {
            counter.add(1);
            counter.add(2);
        }

        @Actor
        public void drainer(JJ_Result r) {
            r.r1 = counter.getAndReset();
        }

        @Arbiter
        public void arbiter(JJ_Result r) {
            r.r2 = counter.get();
        }
    }

    /**
     * StripedCounter: the one adder's adds share a stripe, so its swap takes a prefix of them, as
     * a linearizable drain does.
     */
    @JCStressTest
    @Description("StripedCounter.getAndReset() counts each add exactly once")
    @Outcome(id = "0, 3", expect = ACCEPTABLE, desc = "drained before both adds")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "drained between the adds")
    @Outcome(id = "3, 0", expect = ACCEPTABLE, desc = "drained after both adds")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost or counted twice, or the add of 2 drained without the add of 1")
    @State
    public static class Striped {
        private final Counter counter = new StripedCounter();

        @Actor
        public void adder() {
            counter.add(1);
            counter.add(2);
        }

        @Actor
        public void drainer(JJ_Result r) {
            r.r1 = counter.getAndReset();
        }

        @Arbiter
        public void arbiter(JJ_Result r) {
            r.r2 = counter.get();
        }
    }

    /** PerThreadCounter through the Counter methods: its stripes, drained as StripedCounter's. */
    @JCStressTest
    @Description("PerThreadCounter.getAndReset() counts each Counter.add exactly once")
    @Outcome(id = "0, 3", expect = ACCEPTABLE, desc = "drained before both adds")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "drained between the adds")
    @Outcome(id = "3, 0", expect = ACCEPTABLE, desc = "drained after both adds")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost or counted twice, or the add of 2 drained without the add of 1")
    @State
    public static class PerThread {
        private final Counter counter = new PerThreadCounter();

        @Actor
        public void adder() {
            counter.add(1);
            counter.add(2);
        }

        @Actor
        public void drainer(JJ_Result r) {
            r.r1 = counter.getAndReset();
        }

        @Arbiter
        public void arbiter(JJ_Result r) {
            r.r2 = counter.get();
        }
    }

    /**
     * PerThreadCounter: the adder writes through a handle and closes it, folding its cell into the
     * counter, while the drain runs.
     */
    @JCStressTest
    @Description("PerThreadCounter.getAndReset() counts each add once, also while a handle closes")
    @Outcome(id = "0, 3", expect = ACCEPTABLE, desc = "drained before both adds")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "drained between the adds")
    @Outcome(id = "3, 0", expect = ACCEPTABLE, desc = "drained after both adds")
    @Outcome(expect = FORBIDDEN, desc = "an add was lost or counted twice, or the add of 2 drained without the add of 1")
    @State
    public static class PerThreadHandle {
        private final PerThreadCounter counter = new PerThreadCounter();

        @Actor
        public void adder() {
            try (PerThreadCounter.Writer writer = counter.writer()) {
                writer.add(1);
                writer.add(2);
            }
        }

        @Actor
        public void drainer(JJ_Result r) {
            r.r1 = counter.getAndReset();
        }

        @Arbiter
        public void arbiter(JJ_Result r) {
            r.r2 = counter.get();
        }
    }

    /** PerThreadCounter with a concurrent reader instead of a drainer: get() sees a prefix. */
    @JCStressTest
    @Description("PerThreadCounter.get() beside a writing handle reads 0, 1 or 3, and 3 after")
    @Outcome(id = {"0, 3", "1, 3", "3, 3"}, expect = ACCEPTABLE, desc = "read before, between or after the adds")
    @Outcome(expect = FORBIDDEN, desc = "a value the counter never held, or an add lost")
    @State
    public static class PerThreadHandleReader {
        private final PerThreadCounter counter = new PerThreadCounter();

        @Actor
        public void adder() {
            try (PerThreadCounter.Writer writer = counter.writer()) {
                writer.add(1);
                writer.add(2);
            }
        }

        @Actor
        public void reader(JJ_Result r) {
            r.r1 = counter.get();
        }

        @Arbiter
        public void arbiter(JJ_Result r) {
            r.r2 = counter.get();
        }
    }
}
