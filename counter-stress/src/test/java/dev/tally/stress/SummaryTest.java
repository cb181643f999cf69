package dev.tally.stress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.openjdk.jcstress.infra.Status;

/** The gate's verdicts: each way a run can prove nothing, or prove a bug, fails it. */
final class SummaryTest {

    private static final String NAIVE = "dev.tally.stress.IncrementRace.Unsynchronized";
    private static final String ATOMIC = "dev.tally.stress.IncrementRace.Atomic";

    private static Summary expecting(String... names) {
        return Summary.expecting(new TreeSet<>(List.of(names)));
    }

    @Test
    void passesWhenTheNaiveRaceShowsAndNothingForbiddenIsSeen() {
        Summary summary = expecting(NAIVE, ATOMIC);
        summary.test(NAIVE).add(Status.NORMAL, 1_000, 80, 0);
        summary.test(ATOMIC).add(Status.NORMAL, 1_000, 0, 0);
        assertThat(summary.passed()).isTrue();
        assertThat(printed(summary)).contains("GATE PASSED");
    }

    @Test
    void failsWhenAThreadSafeCounterShowsAForbiddenOutcome() {
        Summary summary = expecting(NAIVE, ATOMIC);
        summary.test(NAIVE).add(Status.NORMAL, 1_000, 80, 0);
        summary.test(ATOMIC).add(Status.NORMAL, 1_000, 0, 1);
        assertThat(summary.passed()).isFalse();
        assertThat(summary.test(ATOMIC).verdict()).contains("forbidden");
    }

    @Test
    void failsWhenTheNaiveRaceNeverShows() {
        Summary summary = expecting(NAIVE);
        summary.test(NAIVE).add(Status.NORMAL, 1_000, 0, 0);
        assertThat(summary.passed()).isFalse();
        assertThat(summary.test(NAIVE).verdict()).contains("never showed");
    }

    @Test
    void failsWhenATestThrowsInAnyConfiguration() {
        Summary summary = expecting(ATOMIC);
        summary.test(ATOMIC).add(Status.NORMAL, 1_000, 0, 0);
        summary.test(ATOMIC).add(Status.TEST_ERROR, 0, 0, 0);
        assertThat(summary.passed()).isFalse();
        assertThat(summary.test(ATOMIC).verdict()).contains("TEST_ERROR");
    }

    @Test
    void failsWhenAnExpectedTestHasNoResult() {
        Summary summary = expecting(NAIVE, ATOMIC);
        summary.test(NAIVE).add(Status.NORMAL, 1_000, 80, 0);
        assertThat(summary.passed()).isFalse();
        assertThat(summary.test(ATOMIC).verdict()).contains("no results");
    }

    @Test
    void failsWhenATestTookNoSamples() {
        Summary summary = expecting(ATOMIC);
        summary.test(ATOMIC).add(Status.NORMAL, 0, 0, 0);
        assertThat(summary.passed()).isFalse();
    }

    @Test
    void failsWhenNoTestMatched() {
        Summary summary = expecting();
        assertThat(summary.passed()).isFalse();
        assertThat(printed(summary)).contains("no jcstress test matched");
    }

    @Test
    void readsTheMustShowMarkFromTheTestClass() {
        assertThat(new TreeSet<>(List.of(NAIVE, ATOMIC))).allSatisfy(name -> {
            Summary summary = expecting(name);
            summary.test(name).add(Status.NORMAL, 1_000, 0, 0);
            assertThat(summary.passed()).isEqualTo(name.equals(ATOMIC));
        });
    }

    @Test
    void namesTheScenarioAndTheImplementation() {
        TestSummary test = expecting(NAIVE).test(NAIVE);
        assertThat(test.scenario()).isEqualTo("IncrementRace");
        assertThat(test.implementation()).isEqualTo("Unsynchronized");
    }

    private static String printed(Summary summary) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        summary.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
