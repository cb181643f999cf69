package dev.tally.counter.micrometer;

/** The exported value of a total kept modulo 2<sup>64</sup>. */
final class Unsigned {

    private Unsigned() {
    }

    /**
     * Reads {@code total} as an unsigned 64-bit number and rounds it to the nearest double, as
     * every Micrometer and Prometheus sample is: never negative, and a larger total never gives a
     * smaller double.
     */
    static double toDouble(long total) {
        if (total >= 0L) {
            return total;
        }
        // Halve with the lost bit kept as a sticky bit, so that the one rounding is the right one.
        return (double) ((total >>> 1) | (total & 1L)) * 2.0;
    }
}
