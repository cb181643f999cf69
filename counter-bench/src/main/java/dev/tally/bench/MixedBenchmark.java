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
 * A mixed group per counter: 3 threads increment while 1 thread reads the value, as a metric that
 * is written hot and scraped now and then. The writers' and the reader's costs are reported apart.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MixedBenchmark extends GroupCounters {

    /** Three writers of tallySynchronized. */
    @Benchmark
    @Group("tallySynchronized")
    @GroupThreads(3)
    public void tallySynchronizedWrite() {
        tallySynchronized.increment();
    }

    /** One reader of tallySynchronized, beside the writers. */
    @Benchmark
    @Group("tallySynchronized")
    @GroupThreads(1)
    public long tallySynchronizedRead() {
        return tallySynchronized.get();
    }

    /** Three writers of tallyLocking. */
    @Benchmark
    @Group("tallyLocking")
    @GroupThreads(3)
    public void tallyLockingWrite() {
        tallyLocking.increment();
    }

    /** One reader of tallyLocking, beside the writers. */
    @Benchmark
    @Group("tallyLocking")
    @GroupThreads(1)
    public long tallyLockingRead() {
        return tallyLocking.get();
    }

    /** Three writers of tallyAtomic. */
    @Benchmark
    @Group("tallyAtomic")
    @GroupThreads(3)
    public void tallyAtomicWrite() {
        tallyAtomic.increment();
    }

    /** One reader of tallyAtomic, beside the writers. */
    @Benchmark
    @Group("tallyAtomic")
    @GroupThreads(1)
    public long tallyAtomicRead() {
        return tallyAtomic.get();
    }

    /** Three writers of tallyStriped. */
    @Benchmark
    @Group("tallyStriped")
    @GroupThreads(3)
    public void tallyStripedWrite() {
        tallyStriped.increment();
    }

    /** One reader of tallyStriped, beside the writers. */
    @Benchmark
    @Group("tallyStriped")
    @GroupThreads(1)
    public long tallyStripedRead() {
        return tallyStriped.get();
    }

    /** Three writers of tallyPerThread, through its {@code Counter} methods. */
    @Benchmark
    @Group("tallyPerThread")
    @GroupThreads(3)
    public void tallyPerThreadWrite() {
        tallyPerThread.increment();
    }

    /** One reader of tallyPerThread, beside the writers. */
    @Benchmark
    @Group("tallyPerThread")
    @GroupThreads(1)
    public long tallyPerThreadRead() {
        return tallyPerThread.get();
    }

    /** Three writers of jdkAtomicLong. */
    @Benchmark
    @Group("jdkAtomicLong")
    @GroupThreads(3)
    public void jdkAtomicLongWrite() {
        jdkAtomicLong.getAndIncrement();
    }

    /** One reader of jdkAtomicLong, beside the writers. */
    @Benchmark
    @Group("jdkAtomicLong")
    @GroupThreads(1)
    public long jdkAtomicLongRead() {
        return jdkAtomicLong.get();
    }

    /** Three writers of jdkLongAdder. */
    @Benchmark
    @Group("jdkLongAdder")
    @GroupThreads(3)
    public void jdkLongAdderWrite() {
        jdkLongAdder.increment();
    }

    /** One reader of jdkLongAdder, beside the writers. */
    @Benchmark
    @Group("jdkLongAdder")
    @GroupThreads(1)
    public long jdkLongAdderRead() {
        return jdkLongAdder.sum();
    }

    /** Three writers of jctoolsStriped. */
    @Benchmark
    @Group("jctoolsStriped")
    @GroupThreads(3)
    public void jctoolsStripedWrite() {
        jctoolsStriped.inc();
    }

    /** One reader of jctoolsStriped, beside the writers. */
    @Benchmark
    @Group("jctoolsStriped")
    @GroupThreads(1)
    public long jctoolsStripedRead() {
        return jctoolsStriped.get();
    }
}
