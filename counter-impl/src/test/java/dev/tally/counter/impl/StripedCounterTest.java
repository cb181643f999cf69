package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.tally.counter.Counter;
import dev.tally.counter.testkit.Race;
import dev.tally.counter.testkit.ThreadSafeCounterContractTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

final class StripedCounterTest extends ThreadSafeCounterContractTest {

    @Override
    protected Counter newCounter() {
        return new StripedCounter();
    }

    /** The whole contract again with the stripe count held at one. */
    @Nested
    final class WithOneStripe extends ThreadSafeCounterContractTest {

        @Override
        protected Counter newCounter() {
            return new StripedCounter(1);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void rejectsAStripeBoundBelowOneNamingTheValue(int maxStripes) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new StripedCounter(maxStripes))
                .withMessageContaining("maxStripes")
                .withMessageContaining(Integer.toString(maxStripes));
    }

    @Test
    void startsWithOneStripe() {
        assertThat(new StripedCounter(8).stripeCount()).isOne();
    }

    @Test
    void growsUnderContentionButNeverPastItsBound() throws InterruptedException {
        StripedCounter counter = new StripedCounter(4);
        // Growth needs two threads to meet on a stripe at one of its sampled adds, which the
        // scheduler decides; a round almost always has many, so a few rounds make this certain.
        int rounds = 0;
        do {
            Race.run(WRITERS, writer -> write(counter, writer));
            rounds++;
            assertThat(counter.stripeCount()).isLessThanOrEqualTo(4);
        } while (counter.stripeCount() == 1 && rounds < 20);
        assertThat(counter.stripeCount()).as("stripes after %d rounds", rounds).isBetween(2, 4);
        assertThat(counter.get()).isEqualTo(rounds * expectedTotal());
    }

    @Test
    void threadsTakingTurnsDoNotGrowTheStripes() throws InterruptedException {
        StripedCounter counter = new StripedCounter(8);
        for (int turn = 0; turn < 50; turn++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    counter.increment();
                }
            });
            thread.start();
            thread.join();
        }
        assertThat(counter.stripeCount()).as("stripes after 50 turns, one thread at a time")
                .isOne();
        assertThat(counter.get()).isEqualTo(500_000);
    }

    @Test
    void roundsTheBoundDownToAPowerOfTwo() throws InterruptedException {
        StripedCounter counter = new StripedCounter(3);
        Race.run(WRITERS, writer -> write(counter, writer));
        assertThat(counter.stripeCount()).isBetween(1, 2);
    }

    @Test
    void aBoundOfOneNeverGrows() throws InterruptedException {
        StripedCounter counter = new StripedCounter(1);
        Race.run(WRITERS, writer -> write(counter, writer));
        assertThat(counter.stripeCount()).isOne();
        assertThat(counter.get()).isEqualTo(expectedTotal());
    }
}
