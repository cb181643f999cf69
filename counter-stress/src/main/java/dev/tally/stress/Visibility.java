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
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

/**
 * Scenario 4, visibility: each thread adds to its own counter and then reads the other's
 * ({@code a.increment(); b.get()} against {@code b.increment(); a.get()}). An add that has
 * returned is visible to every {@code get()} that starts after it, for every thread-safe counter:
 * linearizable for the atomic and locked counters, and for {@code StripedCounter} because its
 * {@code get()} is never below a value the counter held during the call, which includes every add
 * that had returned. So at least one thread sees the other's add: {@code 0, 0} is forbidden. The
 * naive counter's plain writes can sit in a core's store buffer while the same core reads the
 * other counter, so both threads can read 0; so can adds through {@code PerThreadCounter}'s
 * handles, which are release stores on purpose (no fence on the fast path), as its javadoc states.
 * Its {@code Counter} methods add to shared stripes with an atomic add, and are visible.
 *
 * <p>Outcomes seen by the proof run on 2026-11-25 (JDK 17.0.15, 2-core KVM Intel Xeon;
 * {@code PerThread} then went through a {@code ThreadLocal} handle, as {@code PerThreadHandle}
 * does now;
 * interpreter, C1, C2, and C2 with stress flags, each with and without biased locking), in
 * samples per outcome:
 * <pre>
 * Unsynchronized:         [0, 0] 53,722,211 interesting; [0, 1] 35,306,978; [1, 0] 22,836,278;
 *                         [1, 1] 21,021
 * Synchronized:           [0, 1] 19,004,817; [1, 0] 18,082,534; [1, 1] 4,470,817
 * Locking:                [0, 1] 10,595,946; [1, 0] 14,127,486; [1, 1] 3,246,256
 * Atomic:                 [0, 1] 26,939,051; [1, 0] 14,638,685; [1, 1] 5,397,392
 * Striped:                [0, 1] 13,733,076; [1, 0] 10,207,177; [1, 1] 2,995,195
 * PerThread:              [0, 0] 1,058 interesting; [0, 1] 3,917,420; [1, 0] 1,712,592;
 *                         [1, 1] 435,258
 * </pre>
 */
public final class Visibility {

    private Visibility() {
    }

    /** The naive counter: both reads may miss both adds. */
    @JCStressTest
    @Description("plain fields: an add may not yet be visible to the other thread (store buffering)")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "each saw the other's add")
    @Outcome(id = {"0, 1", "1, 0"}, expect = ACCEPTABLE, desc = "one read ran before the other add")
    @Outcome(id = "0, 0", expect = ACCEPTABLE_INTERESTING, desc = "both reads missed the other's add")
    @Outcome(expect = FORBIDDEN, desc = "impossible")
    @State
    public static class Unsynchronized {
        private final Counter a = new UnsynchronizedCounter();
        private final Counter b = new UnsynchronizedCounter();

        @Actor
        public void actor1(JJ_Result r) {
            a.increment();
            r.r1 = b.get();
        }

        @Actor
        public void actor2(JJ_Result r) {
            b.increment();
            r.r2 = a.get();
        }
    }

    /** SynchronizedCounter: a returned add is visible to a later get(). */
    @JCStressTest
    @Description("SynchronizedCounter: an add that has returned is seen by a get() that starts after it")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "each saw the other's add")
    @Outcome(id = {"0, 1", "1, 0"}, expect = ACCEPTABLE, desc = "one read ran before the other add")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "a returned add was invisible")
    @Outcome(expect = FORBIDDEN, desc = "impossible")
    @State
    public static class Synchronized {
        private final Counter a = new SynchronizedCounter();
        private final Counter b = new SynchronizedCounter();

        @Actor
        public void actor1(JJ_Result r) {
            a.increment();
            r.r1 = b.get();
        }

        @Actor
        public void actor2(JJ_Result r) {
            b.increment();
            r.r2 = a.get();
        }
    }

    /** LockingCounter: a returned add is visible to a later get(). */
    @JCStressTest
    @Description("LockingCounter: an add that has returned is seen by a get() that starts after it")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "each saw the other's add")
    @Outcome(id = {"0, 1", "1, 0"}, expect = ACCEPTABLE, desc = "one read ran before the other add")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "a returned add was invisible")
    @Outcome(expect = FORBIDDEN, desc = "impossible")
    @State
    public static class Locking {
        private final Counter a = new LockingCounter();
        private final Counter b = new LockingCounter();

        @Actor
        public void actor1(JJ_Result r) {
            a.increment();
            r.r1 = b.get();
        }

        @Actor
        public void actor2(JJ_Result r) {
            b.increment();
            r.r2 = a.get();
        }
    }

    /** AtomicCounter: a returned add is visible to a later get(). */
    @JCStressTest
    @Description("AtomicCounter: an add that has returned is seen by a get() that starts after it")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "each saw the other's add")
    @Outcome(id = {"0, 1", "1, 0"}, expect = ACCEPTABLE, desc = "one read ran before the other add")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "a returned add was invisible")
    @Outcome(expect = FORBIDDEN, desc = "impossible")
    @State
    public static class Atomic {
        private final Counter a = new AtomicCounter();
        private final Counter b = new AtomicCounter();

        @Actor
        public void actor1(JJ_Result r) {
            a.increment();
            r.r1 = b.get();
        }

        @Actor
        public void actor2(JJ_Result r) {
            b.increment();
            r.r2 = a.get();
        }
    }

    /** StripedCounter: a returned add is visible to a later get(). */
    @JCStressTest
    @Description("StripedCounter: an add that has returned is seen by a get() that starts after it")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "each saw the other's add")
    @Outcome(id = {"0, 1", "1, 0"}, expect = ACCEPTABLE, desc = "one read ran before the other add")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "a returned add was invisible")
    @Outcome(expect = FORBIDDEN, desc = "impossible")
    @State
    public static class Striped {
        private final Counter a = new StripedCounter();
        private final Counter b = new StripedCounter();

        @Actor
        public void actor1(JJ_Result r) {
            a.increment();
            r.r1 = b.get();
        }

        @Actor
        public void actor2(JJ_Result r) {
            b.increment();
            r.r2 = a.get();
        }
    }

    /**
     * PerThreadCounter through the {@code Counter} methods: an atomic add on a shared stripe, as
     * {@code StripedCounter} makes, so a returned add is visible.
     */
    @JCStressTest
    @Description("PerThreadCounter's Counter methods: a returned add is visible to a later get()")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "each saw the other's add")
    @Outcome(id = {"0, 1", "1, 0"}, expect = ACCEPTABLE, desc = "one read ran before the other add")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "a returned add was invisible")
    @Outcome(expect = FORBIDDEN, desc = "impossible")
    @State
    public static class PerThread {
        private final Counter a = new PerThreadCounter();
        private final Counter b = new PerThreadCounter();

        @Actor
        public void actor1(JJ_Result r) {
            a.increment();
            r.r1 = b.get();
        }

        @Actor
        public void actor2(JJ_Result r) {
            b.increment();
            r.r2 = a.get();
        }
    }

    /**
     * PerThreadCounter through a handle: an add is a release store, not a fence, so both threads
     * may read before the other's store is visible. This is the documented weaker promise. Each
     * actor opens its handle first (the handle belongs to the thread) and closes it after reading.
     */
    @JCStressTest
    @Description("PerThreadCounter handles: a release store may still sit in the writer's store buffer")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "each saw the other's add")
    @Outcome(id = {"0, 1", "1, 0"}, expect = ACCEPTABLE, desc = "one read ran before the other add")
    @Outcome(id = "0, 0", expect = ACCEPTABLE_INTERESTING, desc = "both adds still in store buffers: allowed, as documented")
    @Outcome(expect = FORBIDDEN, desc = "impossible")
    @State
    public static class PerThreadHandle {
        private final PerThreadCounter a = new PerThreadCounter();
        private final PerThreadCounter b = new PerThreadCounter();

        @Actor
        public void actor1(JJ_Result r) {
            try (PerThreadCounter.Writer writer = a.writer()) {
                writer.increment();
                r.r1 = b.get();
            }
        }

        @Actor
        public void actor2(JJ_Result r) {
            try (PerThreadCounter.Writer writer = b.writer()) {
                writer.increment();
                r.r2 = a.get();
            }
        }
    }
}
