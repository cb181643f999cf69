package dev.tally.counter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.tally.counter.impl.AtomicCounter;
import dev.tally.counter.impl.StripedCounter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.math.BigInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/** The exported total, one step at a time: what each call does to it and to the drains. */
final class MonotoneCounterTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();

    private double exported(String name) {
        return registry.get(name).functionCounter().count();
    }

    @Test
    void aDrainReturnsWhatWasAddedSinceTheLastAndLeavesTheExportedTotal() {
        MonotoneCounter orders = TallyMeters.counter(registry, "orders", Tags.empty(), new StripedCounter());
        orders.add(5);
        orders.increment();
        assertThat(exported("orders")).isEqualTo(6.0);
        assertThat(orders.getAndReset()).isEqualTo(6);
        assertThat(orders.get()).isZero();
        assertThat(exported("orders")).isEqualTo(6.0);
        orders.add(4);
        assertThat(orders.get()).isEqualTo(4);
        assertThat(exported("orders")).isEqualTo(10.0);
        orders.reset();
        assertThat(orders.getAndReset()).isZero();
        assertThat(exported("orders")).isEqualTo(10.0);
    }

    @Test
    void aNegativeAddIsRefusedNamingTheValueAndAddsNothing() {
        MonotoneCounter orders = TallyMeters.counter(registry, "orders", Tags.empty(), new StripedCounter());
        orders.add(3);
        assertThatIllegalArgumentException().isThrownBy(() -> orders.add(-2))
                .withMessageContaining("add(-2)").withMessageContaining("'orders'");
        assertThatIllegalArgumentException().isThrownBy(orders::decrement)
                .withMessageContaining("add(-1)");
        assertThatIllegalArgumentException().isThrownBy(() -> orders.add(Long.MIN_VALUE))
                .withMessageContaining("add(" + Long.MIN_VALUE + ")");
        orders.add(0);
        assertThat(orders.get()).isEqualTo(3);
        assertThat(exported("orders")).isEqualTo(3.0);
    }

    @Test
    void theExportedTotalStartsAtTheCountersValueAndTheFirstDrainTakesIt() {
        AtomicCounter counter = new AtomicCounter();
        counter.add(7);
        MonotoneCounter orders = TallyMeters.counter(registry, "orders", Tags.empty(), counter);
        assertThat(exported("orders")).isEqualTo(7.0);
        assertThat(orders.getAndReset()).isEqualTo(7);
        assertThat(exported("orders")).isEqualTo(7.0);
    }

    @Test
    void aCounterBelowZeroIsRefusedAtExport() {
        AtomicCounter counter = new AtomicCounter();
        counter.add(-4);
        assertThatIllegalArgumentException()
                .isThrownBy(() -> TallyMeters.counter(registry, "orders", Tags.empty(), counter))
                .withMessageContaining("holds -4");
        assertThat(registry.find("orders").meter()).isNull();
    }

    @Test
    void theSameNameAndTagsTwiceAreRefused() {
        TallyMeters.counter(registry, "orders", Tags.of("shop", "eu"), new StripedCounter());
        assertThatIllegalArgumentException()
                .isThrownBy(() -> TallyMeters.counter(registry, "orders", Tags.of("shop", "eu"),
                        new StripedCounter()))
                .withMessageContaining("'orders'").withMessageContaining("already registered");
        TallyMeters.counter(registry, "orders", Tags.of("shop", "us"), new StripedCounter());
    }

    @Test
    void pastLongMaxValueTheTotalIsExportedUnsignedAndGoesOnRising() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AtomicCounter counter = new AtomicCounter();
        counter.add(Long.MAX_VALUE);
        MonotoneCounter orders = TallyMeters.counter(prometheus, "orders", Tags.empty(), counter);
        double before = PrometheusSamples.parse(prometheus.scrape()).get("orders_total");
        orders.add(1);                     // the long wraps to Long.MIN_VALUE
        assertThat(orders.getAndReset()).isEqualTo(Long.MIN_VALUE);   // a drain wraps like long
        orders.add(Long.MAX_VALUE);        // 2^64 - 1 in all
        double after = PrometheusSamples.parse(prometheus.scrape()).get("orders_total");
        assertThat(before).isEqualTo((double) Long.MAX_VALUE);
        assertThat(after).isEqualTo(0x1p64).isGreaterThan(before);
        orders.add(1);                     // 2^64: restarts at zero, a counter reset to Prometheus
        assertThat(PrometheusSamples.parse(prometheus.scrape()).get("orders_total")).isZero();
    }

    /** The negative control for the wrap: what a plain function counter does past the same point. */
    @Test
    void aPlainFunctionCounterPastLongMaxValueFailsTheScrapeOrReadsNegative() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        LongAdder adder = new LongAdder();
        adder.add(Long.MAX_VALUE);
        FunctionCounter.builder("orders", adder, LongAdder::sum).register(prometheus);
        adder.add(1);
        String outcome;
        try {
            outcome = "scraped " + PrometheusSamples.parse(prometheus.scrape());
        } catch (RuntimeException e) {
            outcome = "scrape failed: " + e;
        }
        System.out.println("negative control, plain FunctionCounter past Long.MAX_VALUE: " + outcome);
        assertThat(outcome).satisfiesAnyOf(
                o -> assertThat(o).startsWith("scrape failed"),
                o -> assertThat(o).contains("=-9.2"));
    }

    @Test
    void unsignedToDoubleRoundsTheWay64BitUnsignedArithmeticWould() {
        long[] totals = {0L, 1L, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1, -1L, -2L,
            0x8000_0000_0000_0401L, 0x8000_0000_0000_0400L, 0x8000_0000_0000_0C00L, 0xFFFF_FFFF_FFFF_FBFFL};
        for (long total : totals) {
            double expected = new BigInteger(Long.toUnsignedString(total)).doubleValue();
            assertThat(Unsigned.toDouble(total)).as(Long.toUnsignedString(total)).isEqualTo(expected);
        }
        for (long total = Long.MIN_VALUE; total < Long.MIN_VALUE + 5_000; total++) {
            assertThat(Unsigned.toDouble(total)).isLessThanOrEqualTo(Unsigned.toDouble(total + 1));
        }
    }
}
