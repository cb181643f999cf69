package dev.tally.counter.micrometer;

import dev.tally.counter.Counter;
import dev.tally.counter.redis.RedisCounter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import java.util.Objects;

/**
 * Registers a {@link RedisCounter} with a Micrometer {@link MeterRegistry}, read without a round
 * trip to Redis per scrape. Needs {@code counter-redis} on the class path (this module declares it
 * optional).
 *
 * <pre>{@code
 * MeterRegistry registry = new SimpleMeterRegistry();            // or your PrometheusMeterRegistry
 * try (RedisCounter shared = RedisCounter.builder(client, RedisURI.create("redis://localhost:6379"),
 *         "page-views").build()) {
 *     shared.reset();
 *     Counter pageViews = RedisMeters.counter(registry, "page.views", Tags.empty(), shared);
 *     pageViews.add(2);                                          // a RedisCounter add, sign checked
 *     assert pageViews.getAndReset() == 2;                       // drains the shared count
 *     assert registry.get("page.views").functionCounter().count() == 2;   // added by this JVM
 * }
 * }</pre>
 *
 * <p>What is exported is the total that this JVM added, {@link RedisCounter#addedInThisJvm()}:
 * no drain lowers it, whichever JVM drains, and no scrape talks to the server. Each JVM exports
 * its own series (Prometheus tells them apart by their {@code instance} label); their sum is
 * everything added to the shared count. The shared value itself cannot be exported that way: a
 * drain by any JVM lowers it, and reading it costs a round trip.
 */
public final class RedisMeters {

    private RedisMeters() {
    }

    /**
     * Exports the adds of this JVM to {@code counter} as a {@code FunctionCounter} named
     * {@code name}, and returns the counter to add through from now on, which refuses a negative
     * amount with {@link IllegalArgumentException} naming it (the exported total must never fall);
     * its {@code get()} and {@code getAndReset()} are {@code counter}'s own, shared by every JVM.
     * Do not add a negative amount to {@code counter} directly. Thread-safe; the exported value is
     * read without a round trip, past {@link Long#MAX_VALUE} as {@link MonotoneCounter} reads its
     * total.
     *
     * @param registry where to register the meter
     * @param name the meter's name, in Micrometer's dotted form
     * @param tags the meter's tags
     * @param counter the shared counter
     * @return the counter to add through; drains and reads go to {@code counter}
     * @throws IllegalArgumentException if this JVM's adds to {@code counter} sum to less than zero,
     *     or a meter with this name and exactly these tags is already registered
     */
    public static Counter counter(MeterRegistry registry, String name, Iterable<Tag> tags,
            RedisCounter counter) {
        Objects.requireNonNull(counter, "counter");
        long start = counter.addedInThisJvm();
        if (start < 0L) {
            throw new IllegalArgumentException("counter '" + name + "': this JVM's adds sum to "
                    + start + ": an exported total cannot start below zero");
        }
        // The function holds the counter strongly, as TallyMeters does.
        TallyMeters.registerNew(registry, name, tags, () -> FunctionCounter.builder(name, counter,
                ignored -> Unsigned.toDouble(counter.addedInThisJvm())).tags(tags).register(registry));
        return new NonNegativeRedisCounter(name, counter);
    }
}
