package dev.tally.stress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.testkit.Counters;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The proof of record that {@code get()} never reads below zero while items are in flight, for
 * every thread-safe counter. jcstress scenario 5 has room for one writer and one reader, so it
 * cannot give a reader two cells to read across (see {@code NeverBelowZero}); here two producers
 * and two consumers move items while a fifth thread reads. A test that no counter could fail
 * would prove nothing, so the JDK's {@code LongAdder}, whose {@code sum()} reads its cells in one
 * pass, goes through the very same experiment and must be caught reading below zero.
 */
final class InFlightNeverNegativeTest {

    /**
     * Rounds per counter, each with new threads and a new counter; the tally counters run them
     * all. LongAdder is caught within a few on an idle 2-core machine, so this many leaves a wide
     * margin; the commit that set it gives the measurements.
     */
    private static final int ROUNDS = 30;
    private static final int PRODUCERS = 2;
    private static final int ITEMS = 50_000;

    private static final Predicate<InFlightExperiment.Readings> BELOW_ZERO = r -> r.lowest() < 0;

    private static List<InFlightExperiment.Readings> experiment(
            Supplier<InFlightExperiment.Gauge> gauges) throws InterruptedException {
        return InFlightExperiment.roundsUntilBelowZero(gauges, ROUNDS, PRODUCERS, ITEMS);
    }

    @ParameterizedTest
    @EnumSource(value = Counters.class, names = "UNSYNCHRONIZED",
            mode = EnumSource.Mode.EXCLUDE)
    void getNeverReadsBelowZeroWhileItemsAreInFlight(Counters implementation)
            throws InterruptedException {
        List<InFlightExperiment.Readings> rounds =
                experiment(() -> InFlightExperiment.of(implementation.newCounter()));
        assertThat(rounds).as("rounds, each reading no lower than 0").noneMatch(BELOW_ZERO);
        assertThat(rounds).as("rounds, each ending with no item in flight")
                .allMatch(r -> r.finalValue() == 0);
        assertThat(rounds.stream().mapToLong(InFlightExperiment.Readings::reads).sum())
                .as("reads while items were in flight").isPositive();
    }

    @Test
    void theSameExperimentCatchesLongAdderSumReadingBelowZero() throws InterruptedException {
        List<InFlightExperiment.Readings> rounds =
                experiment(() -> InFlightExperiment.of(new LongAdder()));
        List<Long> lowest = rounds.stream().map(InFlightExperiment.Readings::lowest).toList();
        // In the build's log, so that a run shows how close the control came to failing.
        System.out.printf(Locale.ROOT, "LongAdder.sum(), lowest read in each of %d rounds "
                + "(at most %d): %s%n", rounds.size(), ROUNDS, lowest);
        assertThat(rounds)
                .as("LongAdder rounds, one reading below zero (lowest per round: %s). It reads "
                        + "below zero only once its adds have collided and spread over its "
                        + "cells, which takes two cores running writers at once: with fewer "
                        + "than two idle cores this control cannot pass, and the test above "
                        + "cannot fail", lowest)
                .anyMatch(BELOW_ZERO);
        assertThat(rounds).as("rounds, each ending with no item in flight")
                .allMatch(r -> r.finalValue() == 0);
    }
}
