package dev.tally.stress;

import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.infra.Status;
import org.openjdk.jcstress.infra.collectors.TestResult;
import org.openjdk.jcstress.infra.grading.GradingResult;

/**
 * What one jcstress test showed across all its configurations, and the gate's verdict on it.
 */
final class TestSummary {

    private final String name;
    private final boolean mustShowInteresting;
    private final Map<String, Long> outcomes = new TreeMap<>();
    private long samples;
    private long interesting;
    private long forbidden;
    private int configurations;
    private Status status = Status.NORMAL;

    /**
     * An empty summary.
     *
     * @param name the jcstress test name, e.g. {@code dev.tally.stress.IncrementRace.Atomic}
     * @param mustShowInteresting whether the test is marked {@link MustShowInteresting}
     */
    TestSummary(String name, boolean mustShowInteresting) {
        this.name = name;
        this.mustShowInteresting = mustShowInteresting;
    }

    /**
     * Adds the outcomes of one configuration's result.
     *
     * @param result a result of this test
     */
    void add(TestResult result) {
        long interestingCount = 0;
        long forbiddenCount = 0;
        if (result.status() == Status.NORMAL) {
            for (GradingResult outcome : result.grading().gradingResults.values()) {
                if (outcome.count > 0) {
                    outcomes.merge(outcome.id + " (" + outcome.expect + ")", outcome.count, Long::sum);
                }
                if (outcome.expect == Expect.FORBIDDEN) {
                    forbiddenCount += outcome.count;
                } else if (outcome.expect == Expect.ACCEPTABLE_INTERESTING) {
                    interestingCount += outcome.count;
                }
            }
        }
        add(result.status(), result.getTotalCount(), interestingCount, forbiddenCount);
    }

    /** Adds what one configuration showed, already graded. */
    void add(Status configurationStatus, long sampleCount, long interestingCount,
            long forbiddenCount) {
        configurations++;
        status = status.combine(configurationStatus);
        samples += sampleCount;
        interesting += interestingCount;
        forbidden += forbiddenCount;
    }

    /**
     * Each outcome seen, as {@code id (EXPECT)}, with how many samples showed it.
     *
     * @return outcomes in order of their ids
     */
    Map<String, Long> outcomes() {
        return outcomes;
    }

    /**
     * The scenario, the name of the file that holds the test: {@code IncrementRace}.
     *
     * @return the scenario name
     */
    String scenario() {
        String outer = name.substring(0, name.lastIndexOf('.'));
        return outer.substring(outer.lastIndexOf('.') + 1);
    }

    /**
     * The implementation under test, the nested class: {@code Unsynchronized}.
     *
     * @return the implementation name
     */
    String implementation() {
        return name.substring(name.lastIndexOf('.') + 1);
    }

    /**
     * Samples taken, over all configurations.
     *
     * @return the number of samples
     */
    long samples() {
        return samples;
    }

    /**
     * Samples with an ACCEPTABLE_INTERESTING outcome.
     *
     * @return the number of interesting samples
     */
    long interesting() {
        return interesting;
    }

    /**
     * Samples with a FORBIDDEN outcome.
     *
     * @return the number of forbidden samples
     */
    long forbidden() {
        return forbidden;
    }

    /**
     * Whether the gate accepts this test: it ran without error, took samples, showed no forbidden
     * outcome, and showed its race if it must.
     *
     * @return {@code true} if the test passes the gate
     */
    boolean passed() {
        return status == Status.NORMAL && samples > 0 && forbidden == 0
                && (!mustShowInteresting || interesting > 0);
    }

    /**
     * The verdict in words.
     *
     * @return a short sentence
     */
    String verdict() {
        if (configurations == 0) {
            return "FAIL: no results (the test did not run)";
        }
        if (status != Status.NORMAL) {
            return "FAIL: " + status + " in at least one configuration";
        }
        if (samples == 0) {
            return "FAIL: no samples";
        }
        if (forbidden > 0) {
            return "FAIL: a forbidden outcome was seen";
        }
        if (interesting > 0) {
            return mustShowInteresting ? "ok: the race showed, as it must"
                    : "ok: an interesting outcome, allowed";
        }
        if (mustShowInteresting) {
            return "FAIL: the race never showed, so this run proves nothing";
        }
        return "ok: never wrong";
    }
}
