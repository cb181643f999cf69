package dev.tally.counter.impl;

import java.util.Locale;

/**
 * Run by {@link OutOfMemoryTest} in a JVM with a small heap: opens handles until the counter's
 * array is full, fills the heap, tries to open more (the doubled array cannot be allocated) and
 * closes a hundred handles, then frees the heap, closes the rest and checks that the count is
 * exact.
 * Prints one line of figures and exits with 0 if the count held, 1 if not.
 */
final class OutOfMemoryProbe {

    private OutOfMemoryProbe() {
    }

    /**
     * Runs the probe.
     *
     * @param args the number of handles to open before the heap is filled: a power of two, so
     *     that the counter's array is full
     */
    public static void main(String[] args) {
        int handles = Integer.parseInt(args[0]);
        PerThreadCounter counter = new PerThreadCounter();
        PerThreadCounter.Writer[] open = new PerThreadCounter.Writer[handles];
        for (int i = 0; i < handles; i++) {
            open[i] = counter.writer();
            open[i].increment();
        }
        long expected = handles;
        Object ballast = fillHeap();
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
        System.exit(exact ? 0 : 1);
    }

    /**
     * Allocates chunks, smaller and smaller, until not even one of 64 KB fits. Smaller chunks
     * would make the collector run once per allocation for minutes before the heap gives out.
     */
    private static Object fillHeap() {
        Object[] head = null;
        for (int size = 1 << 20; size >= 1 << 14; size /= 2) {
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
