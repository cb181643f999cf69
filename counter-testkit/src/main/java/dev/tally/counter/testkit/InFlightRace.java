package dev.tally.counter.testkit;

import dev.tally.counter.Counter;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Items in flight between two threads, with a third reading: each of two writers increments,
 * then hands the item to the other writer, which decrements it. Every decrement follows its
 * increment on another thread, in another cell or stripe, so a counter whose {@code get()} reads
 * its cells in one pass (as {@code LongAdder.sum()} does) can see a decrement without its
 * increment; the roles run both ways, so that happens whichever cell the reader visits first.
 */
public final class InFlightRace {

    /** The lowest value read, how many reads, and the value once every item was taken. */
    public record Readings(long lowest, long reads, long finalValue) {
    }

    private InFlightRace() {
    }

    /** Moves {@code items} items each way through {@code counter} while a reader watches it. */
    public static Readings run(Counter counter, int items) throws InterruptedException {
        // Slot i holds the items handed to writer i and not yet taken.
        AtomicLongArray inbox = new AtomicLongArray(2);
        AtomicLong lowest = new AtomicLong(Long.MAX_VALUE);
        AtomicLong reads = new AtomicLong();
        Race.runWithObserver(2, writer -> {
            int other = 1 - writer;
            long taken = 0;
            for (int i = 0; i < items; i++) {
                counter.increment();
                inbox.incrementAndGet(other);
                taken += takeAll(counter, inbox, writer);
            }
            while (taken < items) {
                taken += takeAll(counter, inbox, writer);
                Thread.onSpinWait();
            }
        }, writersRunning -> {
            long low = Long.MAX_VALUE;
            long n = 0;
            while (writersRunning.getAsBoolean()) {
                low = Math.min(low, counter.get());
                n++;
            }
            lowest.set(low);
            reads.set(n);
        });
        return new Readings(lowest.get(), reads.get(), counter.get());
    }

    /** Decrements once for every item waiting in {@code writer}'s inbox; returns how many. */
    private static long takeAll(Counter counter, AtomicLongArray inbox, int writer) {
        long waiting = inbox.getAndSet(writer, 0L);
        for (long i = 0; i < waiting; i++) {
            counter.decrement();
        }
        return waiting;
    }
}
