/**
 * The {@link dev.tally.counter.Counter} interface: a {@code long} that threads add to, read and
 * drain; and {@link dev.tally.counter.CounterMap}, a counter per key. Pick an implementation by the guarantees written in its class comment; the table in the
 * project README compares them.
 */
package dev.tally.counter;
