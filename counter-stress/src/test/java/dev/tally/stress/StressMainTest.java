package dev.tally.stress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

final class StressMainTest {

    @Test
    void anExtraOptionReplacesTheModesValueInsteadOfRepeatingIt() {
        assertThat(StressMain.override(List.of("-t", "all", "-m", "quick"), List.of("-t", "One")))
                .containsExactly("-m", "quick", "-t", "One");
    }

    @Test
    void withoutExtraOptionsTheModeStaysAsItIs() {
        assertThat(StressMain.override(List.of("-m", "quick", "-r", "dir"), List.of()))
                .containsExactly("-m", "quick", "-r", "dir");
    }
}
