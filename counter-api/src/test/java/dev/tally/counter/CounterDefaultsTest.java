package dev.tally.counter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The default methods of {@link Counter} delegate as their javadoc says. */
final class CounterDefaultsTest {

    /** Records the calls that reach the abstract methods. */
    private static final class RecordingCounter implements Counter {
        final List<String> calls = new ArrayList<>();

        @Override
        public void add(long delta) {
            calls.add("add(" + delta + ")");
        }

        @Override
        public long get() {
            calls.add("get()");
            return 0L;
        }

        @Override
        public long getAndReset() {
            calls.add("getAndReset()");
            return 0L;
        }
    }

    @Test
    void incrementIsAddOne() {
        RecordingCounter counter = new RecordingCounter();
        counter.increment();
        assertThat(counter.calls).containsExactly("add(1)");
    }

    @Test
    void decrementIsAddMinusOne() {
        RecordingCounter counter = new RecordingCounter();
        counter.decrement();
        assertThat(counter.calls).containsExactly("add(-1)");
    }

    @Test
    void resetIsOneGetAndReset() {
        RecordingCounter counter = new RecordingCounter();
        counter.reset();
        assertThat(counter.calls).containsExactly("getAndReset()");
    }
}
