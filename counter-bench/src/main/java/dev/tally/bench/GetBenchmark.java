package dev.tally.bench;

import dev.tally.counter.impl.AtomicCounter;
import dev.tally.counter.impl.PerThreadCounter;
import dev.tally.counter.impl.StripedCounter;
import dev.tally.counter.testkit.Counters;
import dev.tally.counter.testkit.LeavesOut;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jctools.counters.Counter;
import org.jctools.counters.CountersFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The cost of reading a counter whose cells 4 contending threads have populated, so that the
 * striped counters read all the cells they grew, as a busy application's would. No writer runs
 * during the measurement; {@link MixedBenchmark} measures reads beside writers.
 */
@LeavesOut(value = Counters.SYNCHRONIZED, why = "an uncontended read under its lock, no cells to"
        + " read; MixedBenchmark measures the locked read beside writers")
@LeavesOut(value = Counters.LOCKING, why = "an uncontended read under its lock, no cells to"
        + " read; MixedBenchmark measures the locked read beside writers")
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GetBenchmark {

    private static final int INCREMENTS = 2_000_000;

    private final AtomicCounter atomic = new AtomicCounter();
    private final StripedCounter striped = new StripedCounter();
    private final PerThreadCounter perThread = new PerThreadCounter();
    /** Kept open, so that the per-thread counter reads 4 live cells. */
    private final List<PerThreadCounter.Writer> liveWriters = new CopyOnWriteArrayList<>();
    private final AtomicLong atomicLong = new AtomicLong();
    private final LongAdder longAdder = new LongAdder();
    private final Counter jctools = CountersFactory.createFixedSizeStripedCounter(Peers.JCTOOLS_STRIPES);

    /** Contends on every counter once, before the measurement. */
    @Setup(Level.Trial)
    public void populate() {
        Contention.hammer(atomic::increment, INCREMENTS);
        Contention.hammer(striped::increment, INCREMENTS);
        Contention.run(() -> {
            PerThreadCounter.Writer writer = perThread.writer();
            liveWriters.add(writer);
            for (int i = 0; i < INCREMENTS; i++) {
                writer.increment();
            }
        });
        Contention.hammer(atomicLong::incrementAndGet, INCREMENTS);
        Contention.hammer(longAdder::increment, INCREMENTS);
        Contention.hammer(jctools::inc, INCREMENTS);
    }

    /** tally's single atomic cell: one volatile read. */
    @Benchmark
    public long tallyAtomic() {
        return atomic.get();
    }

    /** tally's striped counter: every subtracted cell, then every added cell. */
    @Benchmark
    public long tallyStriped() {
        return striped.get();
    }

    /** tally's per-thread counter with 4 live writers' cells. */
    @Benchmark
    public long tallyPerThread() {
        return perThread.get();
    }

    /** The JDK's {@code AtomicLong.get()}. */
    @Benchmark
    public long jdkAtomicLong() {
        return atomicLong.get();
    }

    /** The JDK's {@code LongAdder.sum()}: the base and every cell. */
    @Benchmark
    public long jdkLongAdder() {
        return longAdder.sum();
    }

    /** JCTools' fixed-size striped counter: every stripe. */
    @Benchmark
    public long jctoolsStriped() {
        return jctools.get();
    }
}
