package dev.tally.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class ReportTest {

    private static Measurements sample() {
        Measurements m = new Measurements();
        for (int t : Report.THREADS) {
            m.put("IncrementBenchmark", "tallyStriped", t, new Measurements.Score(3.0 * t, 0.1));
            m.put("IncrementBenchmark", "jdkLongAdder", t, new Measurements.Score(4.0 * t, 0.2));
        }
        m.put("MixedBenchmark", "tallyStripedWrite", 4, new Measurements.Score(10.0, 1.0));
        m.put("MixedBenchmark", "jdkLongAdderWrite", 4, new Measurements.Score(20.0, 1.0));
        return m;
    }

    @Test
    void theIncrementTableDividesTallysTimeByItsPeersTime() {
        String table = new Report(sample()).incrementTable();
        assertThat(table).startsWith("| counter | 1 thread | 2 threads | 4 threads | vs peer at 1 / 2 / 4 |\n"
                + "|---|---:|---:|---:|---|\n");
        assertThat(table).contains("| `tallyStriped` | 3.00 ± 0.10 | 6.00 ± 0.10 | 12.00 ± 0.10 "
                + "| 0.75x / 0.75x / 0.75x `jdkLongAdder` |");
        assertThat(table).contains("| `tallyAtomic` | - | - | - | - / - / - `jdkAtomicLong` |");
    }

    @Test
    void theGetTableCountsReaders() {
        assertThat(new Report(sample()).getTable())
                .startsWith("| counter | 1 reader | 2 readers | 4 readers | vs peer at 1 / 2 / 4 |\n");
    }

    @Test
    void aGroupTableReportsWritersAndReaderApart() {
        String table = new Report(sample()).groupTable(MixedBenchmark.class, "Read");
        assertThat(table).contains("| `tallyStriped` | 10.00 ± 1.00 | - | 0.50x | - |");
    }

    @Test
    void theRedisTableComparesWithTheFloorAndPutsLargeRatiosInWholeNumbers() {
        Measurements m = new Measurements();
        m.put("RedisAddBenchmark", "tallyRedis", 1, new Measurements.Score(8.0, 0.5));
        m.put("RedisAddBenchmark", "tallyStriped", 1, new Measurements.Score(6.4, 0.5));
        m.put("RedisAddBenchmark", "incrbyPerAdd", 1, new Measurements.Score(40_000.0, 900));
        String table = new Report(m).redisAddTable();
        assertThat(table).startsWith("| add | 1 thread | 2 threads | 4 threads |");
        assertThat(table).contains("| `tallyRedis` | 8.00 ± 0.50 | - | - | 1.25x / - / - `tallyStriped` |");
        assertThat(table).contains("| `incrbyPerAdd` | 40000.00 ± 900.00 | - | - | 5,000x / - / - `tallyRedis` |");
    }

    @Test
    void theChartIsAPng(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("increment.png");
        new Report(sample()).incrementChart(png, "test", 2);
        byte[] bytes = Files.readAllBytes(png);
        assertThat(bytes).startsWith(0x89, 'P', 'N', 'G');
    }

    @Test
    void theFootprintTableShowsBothStates() {
        String table = Report.footprintTable(List.of(new Footprint.Row("tallyStriped", 200, 336)));
        assertThat(table).contains("| `tallyStriped` | 200 B | 336 B |");
    }
}
