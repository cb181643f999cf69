package dev.tally.bench;

import java.util.concurrent.CountDownLatch;

/** Puts a counter into the state a contended application leaves it in: cells grown, stripes used. */
final class Contention {

    /** Threads that contend, as many as the benchmarks' largest thread count. */
    static final int THREADS = 4;

    private Contention() {
    }

    /** Runs {@code increment} {@code times} times on each of {@link #THREADS} threads at once. */
    static void hammer(Runnable increment, int times) {
        run(() -> {
            for (int i = 0; i < times; i++) {
                increment.run();
            }
        });
    }

    /** Runs {@code body} on each of {@link #THREADS} threads, released together; waits for all. */
    static void run(Runnable body) {
        run(body, THREADS);
    }

    private static void run(Runnable body, int count) {
        CountDownLatch start = new CountDownLatch(1);
        Thread[] threads = new Thread[count];
        for (int t = 0; t < count; t++) {
            threads[t] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                body.run();
            });
            threads[t].start();
        }
        start.countDown();
        try {
            for (Thread thread : threads) {
                thread.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while contending", e);
        }
    }
}
