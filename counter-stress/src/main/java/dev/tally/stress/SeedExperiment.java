package dev.tally.stress;

import dev.tally.counter.Counter;
import dev.tally.counter.testkit.Counters;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * The classic experiment behind tally: 5 threads, each incrementing a shared counter, started
 * together; expected, actual and lost, for every implementation and over several rounds, since
 * one round of a race proves little either way.
 *
 * <pre>java -Xint -cp CLASSPATH dev.tally.stress.SeedExperiment all 100000</pre>
 */
public final class SeedExperiment {

    static final int THREADS = 5;
    static final int ROUNDS = 5;

    private SeedExperiment() {
    }

    /**
     * Runs the rounds in this JVM and prints them; exits 0 if every thread-safe counter was
     * exact, 1 if not. Started by the proof in a child JVM with {@code -Xint}.
     *
     * @param args {@code all} or one implementation's name ({@code UNSYNCHRONIZED}), then the
     *     numbers of increments per thread, such as {@code 100000}
     * @throws InterruptedException if interrupted while waiting for a round
     */
    public static void main(String[] args) throws InterruptedException {
        List<Counters> implementations = args[0].equals("all")
                ? List.of(Counters.values())
                : List.of(Counters.valueOf(args[0]));
        int[] sizes = new int[args.length - 1];
        for (int i = 1; i < args.length; i++) {
            sizes[i - 1] = Integer.parseInt(args[i]);
        }
        System.exit(run(System.out, implementations, sizes) ? 0 : 1);
    }

    /** Runs {@link #ROUNDS} rounds of each size for each implementation and prints each round. */
    static boolean run(PrintStream out, List<Counters> implementations, int... sizes)
            throws InterruptedException {
        out.printf(Locale.ROOT, "%-16s %-15s %5s %13s %13s %13s%n",
                "implementation", "threads x adds", "round", "expected", "actual", "lost");
        boolean exact = true;
        for (Counters implementation : implementations) {
            for (int increments : sizes) {
                int lossy = 0;
                for (int round = 1; round <= ROUNDS; round++) {
                    long expected = (long) THREADS * increments;
                    long actual = round(implementation.newCounter(), increments);
                    out.printf(Locale.ROOT, "%-16s %-15s %5d %,13d %,13d %,13d%n",
                            implementation.label(),
                            String.format(Locale.ROOT, "%d x %,d", THREADS, increments),
                            round, expected, actual, expected - actual);
                    lossy += actual == expected ? 0 : 1;
                    exact &= !implementation.promises().threadSafe() || actual == expected;
                }
                out.printf(Locale.ROOT, "%-16s %-15s lost updates in %d of %d rounds%n",
                        "", "", lossy, ROUNDS);
            }
        }
        if (implementations.stream().anyMatch(i -> i.promises().threadSafe())) {
            out.println(exact
                    ? "Every thread-safe counter was exact in every round."
                    : "FAILED: a thread-safe counter lost or invented updates.");
        }
        return exact;
    }

    /** One round: {@link #THREADS} threads released by one latch; returns the final count. */
    static long round(Counter counter, int increments) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        Thread[] threads = new Thread[THREADS];
        for (int t = 0; t < THREADS; t++) {
            threads[t] = new Thread(() -> {
                awaitQuietly(start);
                for (int i = 0; i < increments; i++) {
                    counter.increment();
                }
            });
            threads[t].start();
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        return counter.get();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted before the round started", e);
        }
    }
}
