package dev.tally.counter.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One key's series of a {@link MonotoneCounterMap}: what drains have taken from the key, and the
 * highest total exported, which a scrape that overlaps a drain reports instead of reading.
 */
final class KeySeries<K> {

    private static final VarHandle EXPORTED;

    static {
        try {
            EXPORTED = MethodHandles.lookup().findVarHandle(KeySeries.class, "exported", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final K key;
    /** Everything drains have taken from the key, modulo 2^64; written under the drain lock. */
    volatile long drained;
    /** Drains in a row that took nothing from the key; written under the drain lock. */
    int idleDrains;
    /** Set once the meter is removed: a handle that sees it looks the key up again. */
    volatile boolean removed;
    FunctionCounter meter;
    /** The highest total a scrape has exported (unsigned); only raised, by compare-and-set. */
    private volatile long exported;

    KeySeries(K key) {
        this.key = key;
    }

    /** Raises the exported total to {@code total} unless a scrape already exported more. */
    long raise(long total) {
        long seen = exported;
        while (Long.compareUnsigned(total, seen) > 0) {
            long witness = (long) EXPORTED.compareAndExchange(this, seen, total);
            if (witness == seen) {
                return total;
            }
            seen = witness;
        }
        return seen;
    }

    long lastExported() {
        return exported;
    }
}
