package dev.tally.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

final class FootprintTest {

    @Test
    void measuresEveryCounterFreshAndAfterContention() throws ReflectiveOperationException {
        Map<String, Footprint.Row> rows = Footprint.measure().stream()
                .collect(Collectors.toMap(Footprint.Row::counter, r -> r));
        assertThat(rows.keySet()).containsAll(List.of("tallyAtomic", "tallyStriped",
                "jdkAtomicLong", "jdkLongAdder", "jctoolsStriped"));
        assertThat(rows.get("tallyAtomic").contendedBytes())
                .isEqualTo(rows.get("tallyAtomic").freshBytes()).isPositive();
        assertThat(rows.get("tallyStriped").contendedBytes())
                .isGreaterThanOrEqualTo(rows.get("tallyStriped").freshBytes());
        // Through the Counter methods it grows stripes, as StripedCounter does, and no cell.
        assertThat(rows.get("tallyPerThread").contendedBytes())
                .isGreaterThanOrEqualTo(rows.get("tallyPerThread").freshBytes())
                .isLessThan(rows.get("tallyPerThread").freshBytes()
                        + rows.get("tallyStriped").contendedBytes());
    }

    @Test
    void aPerThreadWriterKeepsItsPaddedCellItsSlotAndItsHandle()
            throws ReflectiveOperationException {
        Footprint.WriterCost cost = Footprint.perThreadWriter();
        assertThat(cost.cell()).as("padding on both sides of the sums (PaddingLayoutTest)")
                .isGreaterThanOrEqualTo(128);
        assertThat(cost.slot()).isIn(4L, 8L);
        assertThat(cost.handle()).isPositive();
        assertThat(cost.total()).isEqualTo(cost.cell() + cost.slot() + cost.handle());
    }
}
