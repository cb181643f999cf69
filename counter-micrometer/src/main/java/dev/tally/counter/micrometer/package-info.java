/**
 * tally's counters as Micrometer meters. {@link dev.tally.counter.micrometer.TallyMeters} exports a
 * drained {@link dev.tally.counter.Counter} as a {@code FunctionCounter} whose series never falls
 * (through a {@link dev.tally.counter.micrometer.MonotoneCounter}), and a counter that goes up and
 * down as a {@code Gauge}; {@link dev.tally.counter.micrometer.RedisMeters} exports a
 * {@code RedisCounter} without a round trip per scrape. On the module path this jar is the
 * automatic module {@code dev.tally.counter.micrometer}.
 */
package dev.tally.counter.micrometer;
