package dev.tally.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.FieldLayout;

/**
 * The padding claims of counter-impl, read from the running JVM's layout with JOL: no byte of
 * another object shares a 64-byte cache line with a padded class's hot fields, whatever the
 * addresses. {@code .ci/run} runs it under JDK 25 with and without
 * {@code -XX:+UseCompactObjectHeaders}, where headers are 8 bytes instead of 12.
 *
 * <p>Before the hot fields, the object's start: the previous object's last byte is at offset -1.
 * After them, the next object's first field: at the object's (aligned) size plus the next
 * object's header, of at least 8 bytes, which is counted as cold, as the comments do.
 */
final class PaddingLayoutTest {

    private static final int LINE = 64;
    private static final int SMALLEST_HEADER = 8;

    @ParameterizedTest(name = "{0}: {1} and {2}")
    @CsvSource({
        "dev.tally.counter.impl.Stripe, added, subtracted",
        "dev.tally.counter.impl.PerThreadCell, added, subtracted",
    })
    void noOtherObjectSharesACacheLineWithTheHotFields(String className, String first,
            String second) throws ClassNotFoundException {
        ClassLayout layout = ClassLayout.parseClass(Class.forName(className));
        List<FieldLayout> hot = layout.fields().stream()
                .filter(f -> f.name().equals(first) || f.name().equals(second))
                .toList();
        assertThat(hot).as("the hot fields of %s", className).hasSize(2);
        long start = hot.stream().mapToLong(FieldLayout::offset).min().orElseThrow();
        long end = hot.stream().mapToLong(f -> f.offset() + f.size()).max().orElseThrow();
        String why = className + " laid out as\n" + layout.toPrintable();
        assertThat(start - (-1)).as("bytes from the previous object's last byte to the first hot "
                + "byte; " + why).isGreaterThanOrEqualTo(LINE);
        assertThat(layout.instanceSize() + SMALLEST_HEADER - (end - 1)).as("bytes from the last hot "
                + "byte to the next object's first field; " + why).isGreaterThanOrEqualTo(LINE);
    }
}
