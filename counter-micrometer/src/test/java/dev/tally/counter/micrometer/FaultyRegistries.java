package dev.tally.counter.micrometer;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.atomic.AtomicBoolean;

/** Registries that fail once when armed, for the review tests of a drain's error paths. */
final class FaultyRegistries {

    private FaultyRegistries() {
    }

    /**
     * Adds a removal listener to {@code registry} that, once armed, throws an OutOfMemoryError at
     * the next removal (after the registry let go of the meter); returns the arming flag.
     */
    static AtomicBoolean errorInTheNextRemovalListener(MeterRegistry registry) {
        AtomicBoolean armed = new AtomicBoolean();
        registry.config().onMeterRemoved(m -> {
            if (armed.getAndSet(false)) {
                throw new OutOfMemoryError("a removal listener");
            }
        });
        return armed;
    }

    /** A Prometheus registry whose remove, once armed, throws before it lets go of the meter. */
    static final class RemoveFailsOnce extends PrometheusMeterRegistry {

        final AtomicBoolean armed = new AtomicBoolean();

        RemoveFailsOnce() {
            super(PrometheusConfig.DEFAULT);
        }

        @Override
        public Meter remove(Meter.Id id) {
            if (armed.getAndSet(false)) {
                throw new OutOfMemoryError("before the registry let go");
            }
            return super.remove(id);
        }
    }
}
