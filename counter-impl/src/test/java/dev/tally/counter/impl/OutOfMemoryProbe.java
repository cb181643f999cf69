package dev.tally.counter.impl;

import dev.tally.counter.Counter;
import java.util.Locale;

/**
 * Run by {@link OutOfMemoryTest} in a JVM with a small heap: one scenario per JVM, each filling
 * the heap where a counter would allocate. Prints one line of figures per counter and exits with
 * 0 if every count held, 1 if not.
 */
final class OutOfMemoryProbe {

    private OutOfMemoryProbe() {
    }

    /**
     * Runs the probe.
     *
     * @param args the scenario ({@code handles} with the number of handles, a power of two so that
     *     the counter's array is full; {@code sampledAdd}; {@code firstDrain})
     * @throws InterruptedException if interrupted while a helper thread runs
     */
    public static void main(String[] args) throws InterruptedException {
        boolean exact = switch (args[0]) {
            case "handles" -> handles(Integer.parseInt(args[1]));
            case "sampledAdd" -> sampledAdd(new StripedCounter(2))
                    && sampledAdd(new PerThreadCounter());
            case "firstDrain" -> firstDrain();
            default -> throw new IllegalArgumentException("no scenario " + args[0]);
        };
        System.exit(exact ? 0 : 1);
    }

    /**
     * Opens handles until the counter's array is full, fills the heap, tries to open more (the
     * doubled array cannot be allocated) and closes a hundred handles, then frees the heap,
     * closes the rest and checks the count.
     */
    private static boolean handles(int handles) {
        PerThreadCounter counter = new PerThreadCounter();
        PerThreadCounter.Writer[] open = new PerThreadCounter.Writer[handles];
        for (int i = 0; i < handles; i++) {
            open[i] = counter.writer();
            open[i].increment();
        }
        long expected = handles;
        Object ballast = fillHeap(1 << 14);
        // With the array full, a new handle needs a doubled array: more than the heap has left.
        int failedOpens = 0;
        for (int i = 0; i < 10; i++) {
            try {
                counter.writer().increment();
                expected++;
            } catch (OutOfMemoryError e) {
                failedOpens++;
            }
        }
        int failedCloses = 0;
        for (int i = 0; i < 100; i++) {
            try {
                open[i].close();
            } catch (OutOfMemoryError e) {
                failedCloses++;
            }
        }
        long whileFull = counter.get();
        ballast = null;
        for (PerThreadCounter.Writer handle : open) {
            handle.close();
        }
        long drained = counter.getAndReset();
        boolean exact = ballast == null && whileFull == expected && drained == expected
                && counter.get() == 0;
        System.out.printf(Locale.ROOT, "handles %d, failed closes %d, failed opens %d, expected %d,"
                + " read while full %d, drained %d: %s%n", handles, failedCloses, failedOpens,
                expected, whileFull, drained, exact ? "exact" : "WRONG");
        return exact;
    }

    /**
     * An add that finds its stripe shared asks for more stripes after it has been counted; with
     * the heap full it must still return normally, or its caller would count it again.
     */
    private static boolean sampledAdd(Counter counter) throws InterruptedException {
        // Two other threads take turns at the stripe's samples: the next sample is the second
        // change of writer in a row, the sign of sharing.
        Thread first = new Thread(() -> counter.add(1024));
        first.start();
        first.join();
        Thread second = new Thread(() -> counter.add(1024));
        second.start();
        second.join();
        Object ballast = fillHeap(16);
        Throwable thrown = null;
        try {
            counter.add(1024);
        } catch (OutOfMemoryError e) {
            thrown = e;
        }
        ballast = null;
        long value = counter.get();
        boolean exact = ballast == null && thrown == null && value == 3 * 1024;
        System.out.printf(Locale.ROOT, "%s: add with the heap full threw %s, value %d: %s%n",
                counter.getClass().getSimpleName(), thrown, value, exact ? "exact" : "WRONG");
        return exact;
    }

    /**
     * The first drain in the JVM, with the heap full: retried until it succeeds, freeing a little
     * each time; what the drains took plus what remains must be what was added.
     */
    private static boolean firstDrain() {
        PerThreadCounter counter = new PerThreadCounter();
        counter.add(5);
        counter.add(-3);
        PerThreadCounter.Writer handle = counter.writer();
        handle.add(10);
        handle.add(-1);
        Object[] ballast = (Object[]) fillHeap(16);
        long drained = 0;
        int failures = 0;
        while (true) {
            try {
                drained += counter.getAndReset();
                break;
            } catch (OutOfMemoryError e) {
                failures++;
                ballast = ballast == null ? null : (Object[]) ballast[0];
            }
        }
        ballast = null;
        handle.close();
        long rest = counter.get();
        boolean exact = ballast == null && drained + rest == 11;
        System.out.printf(Locale.ROOT, "first drain: %d failures, drained %d, remaining %d: %s%n",
                failures, drained, rest, exact ? "exact" : "WRONG");
        return exact;
    }

    /**
     * Allocates chunks, smaller and smaller, until not even one of {@code smallest} references
     * fits; each chunk refers to the one before, so the last frees them one by one. Chunks much
     * smaller than 16 would make the collector run once per allocation for minutes first.
     */
    private static Object fillHeap(int smallest) {
        Object[] head = null;
        for (int size = 1 << 20; size >= smallest; size /= 2) {
            while (true) {
                try {
                    Object[] chunk = new Object[size];
                    chunk[0] = head;
                    head = chunk;
                } catch (OutOfMemoryError e) {
                    break;
                }
            }
        }
        return head;
    }
}
