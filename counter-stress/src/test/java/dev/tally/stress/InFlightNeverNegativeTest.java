package dev.tally.stress;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Beside jcstress scenario 5, which has room for only one writer and one reader: several producers
 * and consumers move items in flight while a reader checks that {@code get()} never reads below
 * zero, for every thread-safe counter.
 */
final class InFlightNeverNegativeTest {

    @ParameterizedTest
    @EnumSource(value = Implementation.class, names = "UNSYNCHRONIZED",
            mode = EnumSource.Mode.EXCLUDE)
    void getNeverReadsBelowZeroWhileItemsAreInFlight(Implementation implementation)
            throws InterruptedException {
        InFlightExperiment.Readings result = InFlightExperiment.run(
                InFlightExperiment.of(implementation.newCounter()), 2, 200_000);
        assertThat(result.reads()).as("reads while items were in flight").isPositive();
        assertThat(result.lowest()).as("lowest value read").isGreaterThanOrEqualTo(0L);
        assertThat(result.finalValue()).as("items left in flight").isZero();
    }
}
