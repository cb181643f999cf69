/**
 * The {@link dev.tally.counter.Counter} interface: a {@code long} that threads add to, read and
 * drain. Pick an implementation by the guarantees written in its class comment; the table in the
 * project README compares them.
 */
package dev.tally.counter;
