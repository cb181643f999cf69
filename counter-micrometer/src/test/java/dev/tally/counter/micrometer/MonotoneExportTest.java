package dev.tally.counter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.Counter;
import dev.tally.counter.impl.AtomicCounter;
import dev.tally.counter.impl.LockingCounter;
import dev.tally.counter.impl.PerThreadCounter;
import dev.tally.counter.impl.StripedCounter;
import dev.tally.counter.impl.SynchronizedCounter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The proof of the exported total against a real {@link PrometheusMeterRegistry}: writers add, a
 * thread drains, a thread scrapes the text format in a loop, and no sample of any series ever
 * falls or goes below zero; the last scrape equals everything added, and the drains plus what
 * remains equal it too. Every thread-safe counter of counter-impl runs it, from zero and from near
 * {@link Long#MAX_VALUE}. The negative control, kept here: a plain {@code FunctionCounter} over a
 * drained {@link LongAdder}, through the same race, must show its series falling.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
final class MonotoneExportTest {

    private static final long ADDS_PER_WRITER = 200_000;
    private static final int MIN_INTERLEAVED = 100;
    /** Well below what the writers add: the series crosses Long.MAX_VALUE during the race. */
    private static final long NEAR_MAX = Long.MAX_VALUE - 100_000;

    static Stream<Arguments> threadSafeCounters() {
        return Stream.of(
                Arguments.of("Synchronized", (Supplier<Counter>) SynchronizedCounter::new),
                Arguments.of("Locking", (Supplier<Counter>) LockingCounter::new),
                Arguments.of("Atomic", (Supplier<Counter>) AtomicCounter::new),
                Arguments.of("Striped", (Supplier<Counter>) StripedCounter::new),
                Arguments.of("PerThread", (Supplier<Counter>) PerThreadCounter::new));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("threadSafeCounters")
    void noScrapedSampleFallsOrGoesNegativeAndTheLastEqualsEverythingAdded(String name,
            Supplier<Counter> counter) throws InterruptedException {
        raceFrom(0L, counter.get());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("threadSafeCounters")
    void startedNearLongMaxValueTheSeriesRisesPastItUnsigned(String name, Supplier<Counter> counter)
            throws InterruptedException {
        raceFrom(NEAR_MAX, counter.get());
    }

    private static void raceFrom(long start, Counter counter) throws InterruptedException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        counter.add(start);
        MonotoneCounter exported = TallyMeters.counter(registry, "orders", Tags.of("shop", "eu"), counter);

        ScrapeRace.Outcome outcome = new ScrapeRace(registry, exported::add, exported::getAndReset)
                .run(ADDS_PER_WRITER, MIN_INTERLEAVED);

        assertThat(outcome.deadlinePassed()).as("deadline passed: %s", outcome).isFalse();
        assertThat(outcome.failedScrapes()).as("failed scrapes").isEmpty();
        assertThat(outcome.interleaved()).isGreaterThanOrEqualTo(MIN_INTERLEAVED);
        assertThat(outcome.falls()).as("falls, e.g. %s", outcome.examples()).isZero();
        assertThat(outcome.negatives()).as("negative samples, e.g. %s", outcome.examples()).isZero();
        long total = start + outcome.added();   // wraps past Long.MAX_VALUE, read unsigned
        assertThat(outcome.lastScrape()).containsEntry("orders_total{shop=\"eu\"}", Unsigned.toDouble(total));
        assertThat(outcome.drained() + exported.get()).as("drains plus what remains").isEqualTo(total);
    }

    /** The negative control: what users write today, and what it shows under the same race. */
    @Test
    void aPlainFunctionCounterOverADrainedLongAdderFalls() throws InterruptedException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        LongAdder adder = new LongAdder();
        FunctionCounter.builder("orders", adder, LongAdder::sum).tags("shop", "eu").register(registry);

        ScrapeRace.Outcome outcome = new ScrapeRace(registry, adder::add, adder::sumThenReset)
                .run(ADDS_PER_WRITER, MIN_INTERLEAVED);

        System.out.printf("negative control, FunctionCounter over a drained LongAdder: %,d of %,d"
                + " samples fell (%,d scrapes after a drain), e.g. %s%n", outcome.falls(),
                outcome.samples(), outcome.interleaved(), outcome.examples());
        assertThat(outcome.deadlinePassed()).as("deadline passed: %s", outcome).isFalse();
        assertThat(outcome.falls()).as("the control's series must fall").isPositive();
        assertThat(outcome.drained() + adder.sum()).isEqualTo(outcome.added());
    }
}
