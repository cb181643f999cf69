package dev.tally.bench;

import dev.tally.counter.impl.AtomicCounter;
import dev.tally.counter.impl.LockingCounter;
import dev.tally.counter.impl.PerThreadCounter;
import dev.tally.counter.impl.StripedCounter;
import dev.tally.counter.impl.SynchronizedCounter;
import dev.tally.counter.impl.UnsynchronizedCounter;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.jctools.counters.Counter;
import org.jctools.counters.CountersFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of one increment of a counter shared by every benchmark thread, for each tally counter
 * and each peer a Java engineer would use instead. The runner repeats it at 1, 2 and 4 threads.
 * Each benchmark runs in its own fork, so each call site sees one counter class.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class IncrementBenchmark {

    private final UnsynchronizedCounter unsynchronized = new UnsynchronizedCounter();
    private final SynchronizedCounter synchronizedCounter = new SynchronizedCounter();
    private final LockingCounter locking = new LockingCounter();
    private final AtomicCounter atomic = new AtomicCounter();
    private final StripedCounter striped = new StripedCounter();
    private final PerThreadCounter perThread = new PerThreadCounter();

    private long plain;
    private final Object monitor = new Object();
    private long monitorCount;
    private final ReentrantLock lock = new ReentrantLock();
    private long lockCount;
    private final AtomicLong atomicLong = new AtomicLong();
    private final LongAdder longAdder = new LongAdder();
    private final Counter jctools = CountersFactory.createFixedSizeStripedCounter(Peers.JCTOOLS_STRIPES);

    /** tally's naive counter: not thread-safe, so it loses updates beyond one thread. */
    @Benchmark
    public void tallyUnsynchronized() {
        unsynchronized.increment();
    }

    /** tally's intrinsic-lock counter. */
    @Benchmark
    public void tallySynchronized() {
        synchronizedCounter.increment();
    }

    /** tally's ReentrantLock counter. */
    @Benchmark
    public void tallyLocking() {
        locking.increment();
    }

    /** tally's single atomic cell. */
    @Benchmark
    public void tallyAtomic() {
        atomic.increment();
    }

    /** tally's striped counter. */
    @Benchmark
    public void tallyStriped() {
        striped.increment();
    }

    /** tally's per-thread counter through {@code Counter.increment()}: its shared stripes. */
    @Benchmark
    public void tallyPerThread() {
        perThread.increment();
    }

    /** tally's per-thread counter through the thread's own handle: no atomic instruction. */
    @Benchmark
    public void tallyPerThreadWriter(Handle handle) {
        handle.writer.increment();
    }

    /** One benchmark thread's handle on the shared {@link PerThreadCounter}, kept for the trial. */
    @State(Scope.Thread)
    public static class Handle {
        PerThreadCounter.Writer writer;

        /** Runs on the benchmark thread that will use the handle. */
        @Setup(Level.Trial)
        public void open(IncrementBenchmark shared) {
            writer = shared.perThread.writer();
        }

        /** Runs on the same thread, so the owner check passes. */
        @TearDown(Level.Trial)
        public void close() {
            writer.close();
        }
    }

    /**
     * A plain {@code long++} on a shared field, which loses updates. Inlined into JMH's loop, the
     * JIT keeps the field in a register between the loop's volatile checks and stores it rarely:
     * what the JIT makes of racy code, not the cost of an increment.
     */
    @Benchmark
    public void plainLong() {
        plain++;
    }

    /**
     * The speed limit: a plain {@code long++} in a method the JIT may not inline, so every call
     * loads and stores the shared field (the call's own cost included).
     */
    @Benchmark
    public void plainLongNotInlined() {
        incrementPlain();
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    private void incrementPlain() {
        plain++;
    }

    /** A raw {@code synchronized} block around {@code long++}. */
    @Benchmark
    public void rawSynchronized() {
        synchronized (monitor) {
            monitorCount++;
        }
    }

    /** A raw {@code ReentrantLock} around {@code long++}. */
    @Benchmark
    public void rawReentrantLock() {
        lock.lock();
        try {
            lockCount++;
        } finally {
            lock.unlock();
        }
    }

    /** The JDK's {@code AtomicLong.getAndIncrement()}. */
    @Benchmark
    public long jdkAtomicLong() {
        return atomicLong.getAndIncrement();
    }

    /** The JDK's {@code LongAdder.increment()}. */
    @Benchmark
    public void jdkLongAdder() {
        longAdder.increment();
    }

    /** JCTools' fixed-size striped counter. */
    @Benchmark
    public void jctoolsStriped() {
        jctools.inc();
    }
}
