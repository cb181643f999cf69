package dev.tally.counter.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A series of a {@link MonotoneCounterMap}: one meter id as the registry registered it (after its
 * filters), the keys whose texts make that id, which Micrometer cannot tell apart (keys of one
 * text, or texts that a filter maps to one id), what drains have taken from them, and the highest
 * total exported, which a scrape that overlaps a drain reports instead of reading. Everything but
 * the exported total is written under the map's drain lock.
 */
final class TextSeries<K> {

    /** One key of a series; its plain fields are written under the map's drain lock. */
    static final class Member<K> {

        final K key;
        /** The key's text, its key tag's value (before the registry's filters). */
        final String text;
        /** Its series; another one once its series is folded into the holder of its id. */
        volatile TextSeries<K> series;
        /** Drains in a row that took nothing from the key. */
        int idleDrains;
        /**
         * Set while a drain checks whether the key leaves its series, and for good once it has:
         * an add that sees it looks the key up again.
         */
        volatile boolean removed;

        Member(K key, String text, TextSeries<K> series) {
            this.key = key;
            this.text = text;
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

    /** The text it was made for; it registers under a member's text while it has one. */
    final String text;
    /** The keys of the series, replaced by a longer or filtered list (scrapes read it without a lock). */
    volatile MemberList<K> members = MemberList.empty();
    /** Everything drains have taken from the keys of the series, modulo 2^64. */
    volatile long drained;
    /** The registered meter; null before the first registration. */
    volatile FunctionCounter meter;
    /**
     * Whether the meter is out of the registry although the map holds the series: not registered
     * yet (or its registration failed: see failed), or removed by someone else; the next add to one
     * of its keys, or drain that takes from one, registers it. Set by the registry's removal listener too.
     */
    volatile boolean unregistered = true;
    /**
     * The series this one was folded into, when its registration returned the id of that one (a
     * filter made their texts one id); its meter, if the registry made one, reads that series.
     */
    volatile TextSeries<K> foldedInto;
    /**
     * Whether its last registration failed (threw, or the registry held a meter of its id that
     * the map did not make): adds leave it to the drains, which try again once each.
     */
    volatile boolean failed;
    /** The drain count when it last failed; under the drain lock. */
    long failedAt;
    /** Whether the current run of failed registrations was logged. */
    boolean failureLogged;
    /**
     * Whether the series left the map (its last key left): a text or key that still points at it
     * (a removal that threw halfway) is given a new series instead. Under the drain lock.
     */
    boolean left;
    /** The highest total a scrape has exported (unsigned); only raised, by compare-and-set. */
    private volatile long exported;

    TextSeries(String text) {
        this.text = text;
    }

    /** The series that holds this one's keys now: itself, or the one it was folded into. */
    TextSeries<K> current() {
        TextSeries<K> s = this;
        for (TextSeries<K> next; (next = s.foldedInto) != null; ) {
            s = next;
        }
        return s;
    }

    /** The text to register under: a member's while it has one (the first text may have left). */
    String registrationText() {
        MemberList<K> keys = members;
        return keys.isEmpty() ? text : keys.get(0).text;
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
