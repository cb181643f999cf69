package dev.tally.stress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.testkit.Counters;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The seed experiment's round, for every thread-safe counter: 5 x 100,000 ends at 500,000. */
final class SeedExperimentTest {

    @ParameterizedTest
    @EnumSource(value = Counters.class, names = "UNSYNCHRONIZED",
            mode = EnumSource.Mode.EXCLUDE)
    void aThreadSafeCounterEndsExact(Counters implementation) throws InterruptedException {
        assertThat(SeedExperiment.round(implementation.newCounter(), 100_000)).isEqualTo(500_000);
    }
}
