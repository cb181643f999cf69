package dev.tally.bench;

import dev.tally.counter.impl.PerThreadCounter;
import dev.tally.counter.impl.StripedCounter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * A million virtual threads, each adding once to one shared counter: the wall time until the last
 * has ended, the heap's peak above what was live before, and the cost of one {@code get()}
 * afterwards. Not JMH: one operation here is a million threads and the figure wanted is the
 * heap's peak, which JMH does not measure. The cases alternate within each round, and the table
 * gives each case's median and its ratio to {@code StripedCounter} in the same run. Needs JDK 21
 * or later (the project compiles for 17, so the executor is looked up reflectively):
 *
 * <pre>{@code
 * java -cp <counter-bench classpath> dev.tally.bench.VirtualThreadRun 1000000 5
 * }</pre>
 */
public final class VirtualThreadRun {

    /** One way of adding once from each thread, and of reading the total afterwards. */
    private interface Case {
        /** The body each thread runs once. */
        Runnable body();

        /** The total once every thread has ended. */
        long read();
    }

    private VirtualThreadRun() {
    }

    /**
     * Runs the cases.
     *
     * @param args the number of threads per case (default 1,000,000) and of rounds (default 5)
     * @throws Exception if the JDK has no virtual threads or a run fails
     */
    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        List<String> names = List.of("StripedCounter, Counter.increment()",
                "PerThreadCounter, Counter.increment()",
                "PerThreadCounter, a handle opened and closed",
                "PerThreadCounter, a handle opened and dropped",
                "LongAdder.increment()");
        double[][] millis = new double[names.size()][rounds];
        double[][] peakMb = new double[names.size()][rounds];
        double[][] getNanos = new double[names.size()][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int c = 0; c < names.size(); c++) {
                Case subject = newCase(c);
                System.gc();
                long before = heapUsed();
                resetPeaks();
                long start = System.nanoTime();
                runOnVirtualThreads(threads, subject.body());
                millis[c][round] = (System.nanoTime() - start) / 1e6;
                peakMb[c][round] = (heapPeak() - before) / 1e6;
                long total = subject.read();
                if (total != threads) {
                    throw new AssertionError(names.get(c) + ": read " + total + ", expected "
                            + threads);
                }
                getNanos[c][round] = readCost(subject);
            }
        }
        System.out.printf(Locale.ROOT, "%,d virtual threads, each adding once; %d rounds, "
                + "medians; %s%n", threads, rounds, BenchMain.machine());
        System.out.printf(Locale.ROOT, "%n| case | wall time (ms) | x Striped | heap peak above "
                + "live (MB) | x Striped | one get() afterwards (ns) |%n|---|---:|---:|---:|---:|---:|%n");
        for (int c = 0; c < names.size(); c++) {
            System.out.printf(Locale.ROOT, "| %s | %.0f | %.2f | %.1f | %.2f | %.0f |%n",
                    names.get(c), median(millis[c]), median(millis[c]) / median(millis[0]),
                    median(peakMb[c]), median(peakMb[c]) / median(peakMb[0]),
                    median(getNanos[c]));
        }
    }

    private static Case newCase(int index) {
        switch (index) {
            case 0 -> {
                StripedCounter counter = new StripedCounter();
                return of(counter::increment, counter::get);
            }
            case 1 -> {
                PerThreadCounter counter = new PerThreadCounter();
                return of(counter::increment, counter::get);
            }
            case 2 -> {
                PerThreadCounter counter = new PerThreadCounter();
                return of(() -> {
                    try (PerThreadCounter.Writer handle = counter.writer()) {
                        handle.increment();
                    }
                }, counter::get);
            }
            case 3 -> {
                PerThreadCounter counter = new PerThreadCounter();
                // The drain folds the cells of the ended threads; what it took is the total.
                return of(() -> counter.writer().increment(), counter::getAndReset);
            }
            default -> {
                LongAdder adder = new LongAdder();
                return of(adder::increment, adder::sum);
            }
        }
    }

    private static Case of(Runnable body, LongSupplier reader) {
        return new Case() {
            @Override
            public Runnable body() {
                return body;
            }

            @Override
            public long read() {
                return reader.getAsLong();
            }
        };
    }

    /** The mean of 100,000 reads, after 100,000 to warm up. */
    private static double readCost(Case subject) {
        long sink = 0;
        for (int i = 0; i < 100_000; i++) {
            sink += subject.read();
        }
        long start = System.nanoTime();
        for (int i = 0; i < 100_000; i++) {
            sink += subject.read();
        }
        double nanos = (System.nanoTime() - start) / 100_000.0;
        if (sink == 42) {
            System.out.print("");
        }
        return nanos;
    }

    private static void runOnVirtualThreads(int threads, Runnable body) throws Exception {
        ExecutorService executor = (ExecutorService) Executors.class
                .getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        for (int i = 0; i < threads; i++) {
            executor.execute(body);
        }
        executor.shutdown();
        if (!executor.awaitTermination(10, TimeUnit.MINUTES)) {
            throw new IllegalStateException("threads still running after 10 minutes");
        }
    }

    private static List<MemoryPoolMXBean> heapPools() {
        List<MemoryPoolMXBean> pools = new ArrayList<>();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pools.add(pool);
            }
        }
        return pools;
    }

    private static long heapUsed() {
        return heapPools().stream().mapToLong(p -> p.getUsage().getUsed()).sum();
    }

    private static void resetPeaks() {
        heapPools().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    /** The sum of each pool's peak: at least the heap's peak, the same measure for every case. */
    private static long heapPeak() {
        return heapPools().stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
