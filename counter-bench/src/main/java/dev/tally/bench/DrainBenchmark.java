package dev.tally.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * A drain under load per counter: 3 threads increment while 1 thread calls {@code getAndReset()}
 * (or the peer's equivalent: {@code AtomicLong.getAndSet(0)}, {@code LongAdder.sumThenReset()},
 * JCTools' {@code getAndReset()}), as a reporter that ships and zeroes a count each interval.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DrainBenchmark extends GroupCounters {

    /** Three writers of tallySynchronized. */
    @Benchmark
    @Group("tallySynchronized")
    @GroupThreads(3)
    public void tallySynchronizedWrite() {
        tallySynchronized.increment();
    }

    /** One drainer of tallySynchronized, beside the writers. */
    @Benchmark
    @Group("tallySynchronized")
    @GroupThreads(1)
    public long tallySynchronizedDrain() {
        return tallySynchronized.getAndReset();
    }

    /** Three writers of tallyLocking. */
    @Benchmark
    @Group("tallyLocking")
    @GroupThreads(3)
    public void tallyLockingWrite() {
        tallyLocking.increment();
    }

    /** One drainer of tallyLocking, beside the writers. */
    @Benchmark
    @Group("tallyLocking")
    @GroupThreads(1)
    public long tallyLockingDrain() {
        return tallyLocking.getAndReset();
    }

    /** Three writers of tallyAtomic. */
    @Benchmark
    @Group("tallyAtomic")
    @GroupThreads(3)
    public void tallyAtomicWrite() {
        tallyAtomic.increment();
    }

    /** One drainer of tallyAtomic, beside the writers. */
    @Benchmark
    @Group("tallyAtomic")
    @GroupThreads(1)
    public long tallyAtomicDrain() {
        return tallyAtomic.getAndReset();
    }

    /** Three writers of tallyStriped. */
    @Benchmark
    @Group("tallyStriped")
    @GroupThreads(3)
    public void tallyStripedWrite() {
        tallyStriped.increment();
    }

    /** One drainer of tallyStriped, beside the writers. */
    @Benchmark
    @Group("tallyStriped")
    @GroupThreads(1)
    public long tallyStripedDrain() {
        return tallyStriped.getAndReset();
    }

    /** Three writers of tallyPerThread, through its {@code Counter} methods. */
    @Benchmark
    @Group("tallyPerThread")
    @GroupThreads(3)
    public void tallyPerThreadWrite() {
        tallyPerThread.increment();
    }

    /** One drainer of tallyPerThread, beside the writers. */
    @Benchmark
    @Group("tallyPerThread")
    @GroupThreads(1)
    public long tallyPerThreadDrain() {
        return tallyPerThread.getAndReset();
    }

    /** Three writers of jdkAtomicLong. */
    @Benchmark
    @Group("jdkAtomicLong")
    @GroupThreads(3)
    public void jdkAtomicLongWrite() {
        jdkAtomicLong.getAndIncrement();
    }

    /** One drainer of jdkAtomicLong, beside the writers. */
    @Benchmark
    @Group("jdkAtomicLong")
    @GroupThreads(1)
    public long jdkAtomicLongDrain() {
        return jdkAtomicLong.getAndSet(0L);
    }

    /** Three writers of jdkLongAdder. */
    @Benchmark
    @Group("jdkLongAdder")
    @GroupThreads(3)
    public void jdkLongAdderWrite() {
        jdkLongAdder.increment();
    }

    /** One drainer of jdkLongAdder, beside the writers. */
    @Benchmark
    @Group("jdkLongAdder")
    @GroupThreads(1)
    public long jdkLongAdderDrain() {
        return jdkLongAdder.sumThenReset();
    }

    /** Three writers of jctoolsStriped. */
    @Benchmark
    @Group("jctoolsStriped")
    @GroupThreads(3)
    public void jctoolsStripedWrite() {
        jctoolsStriped.inc();
    }

    /** One drainer of jctoolsStriped, beside the writers. */
    @Benchmark
    @Group("jctoolsStriped")
    @GroupThreads(1)
    public long jctoolsStripedDrain() {
        return jctoolsStriped.getAndReset();
    }
}
