package dev.tally.counter.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * The series of a {@link MonotoneCounterMap} for one text: the keys whose {@code String.valueOf}
 * it is, which Micrometer cannot tell apart (they make one meter id), what drains have taken from
 * them, and the highest total exported, which a scrape that overlaps a drain reports instead of
 * reading. Everything but the exported total is written under the map's drain lock.
 */
final class TextSeries<K> {

    /** One key of a series; its plain fields are written under the map's drain lock. */
    static final class Member<K> {

        final K key;
        final TextSeries<K> series;
        /** Drains in a row that took nothing from the key. */
        int idleDrains;
        /**
         * Set while a drain checks whether the key leaves its series, and for good once it has:
         * an add that sees it looks the key up again.
         */
        volatile boolean removed;

        Member(K key, TextSeries<K> series) {
            this.key = key;
            this.series = series;
        }
    }

    private static final VarHandle EXPORTED;

    static {
        try {
            EXPORTED = MethodHandles.lookup().findVarHandle(TextSeries.class, "exported", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final String text;
    /** The keys of the series, replaced whole (scrapes read it without a lock). */
    volatile List<Member<K>> members = List.of();
    /** Everything drains have taken from the keys of the series, modulo 2^64. */
    volatile long drained;
    /** The registered meter; null before the first registration. */
    volatile FunctionCounter meter;
    /**
     * Whether the meter is out of the registry although the map holds the series: not registered
     * yet (or its registration threw), or removed by someone else; the next add to one of its keys,
     * or drain that takes from one, registers it. Set by the registry's removal listener too.
     */
    volatile boolean unregistered = true;
    /** The highest total a scrape has exported (unsigned); only raised, by compare-and-set. */
    private volatile long exported;

    TextSeries(String text) {
        this.text = text;
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
