package dev.tally.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

final class FootprintTest {

    @Test
    void measuresEveryCounterFreshAndAfterContention() {
        Map<String, Footprint.Row> rows = Footprint.measure().stream()
                .collect(Collectors.toMap(Footprint.Row::counter, r -> r));
        assertThat(rows.keySet()).containsAll(List.of("tallyAtomic", "tallyStriped",
                "jdkAtomicLong", "jdkLongAdder", "jctoolsStriped"));
        assertThat(rows.get("tallyAtomic").contendedBytes())
                .isEqualTo(rows.get("tallyAtomic").freshBytes()).isPositive();
        assertThat(rows.get("tallyStriped").contendedBytes())
                .isGreaterThanOrEqualTo(rows.get("tallyStriped").freshBytes());
    }
}
