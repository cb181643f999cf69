package dev.tally.counter.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.noop.NoopMeter;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one removal listener a registry gets for all the {@link MonotoneCounterMap}s exported to
 * it, which it holds weakly, and the claims those maps hold: a name, fixed tags and key tag that
 * one live map at a time may export under. Micrometer keeps a listener for good (1.17 cannot
 * remove one), so a listener per map would grow the registry with every map made and dropped.
 * A claim is released when its map is garbage collected. It also listens for added meters, on
 * the registering thread, so that a map can tell a meter its registration made from one the
 * registry held already under the same id (someone else's, which the map must neither export as
 * its own nor remove).
 */
final class RemovalFanout implements Consumer<Meter> {

    /** The ids a map's series may have, before the registry's filters. */
    record Claim(String name, Tags tags, String keyTag) {
    }

    /** A map, weakly, and the claim it releases once collected. */
    private static final class Holder extends WeakReference<MonotoneCounterMap<?>> {

        final Claim claim;

        Holder(MonotoneCounterMap<?> map, Claim claim, ReferenceQueue<MonotoneCounterMap<?>> queue) {
            super(map, queue);
            this.claim = claim;
        }
    }

    /** A registration's meter, and whether the registry made it for that registration. */
    record Registered(FunctionCounter meter, boolean made) {
    }

    /**
     * Where the registry's added listener reports the meters it adds on this thread while a map's
     * registration runs on it; null otherwise. Static: a registration may nest another, of any registry, on the same thread.
     */
    private static final ThreadLocal<Consumer<Meter>> ADDED = new ThreadLocal<>();

    /** Guarded by itself; weak keys, so a dropped registry goes, its fanout with it. */
    private static final Map<MeterRegistry, RemovalFanout> BY_REGISTRY = new WeakHashMap<>();

    /** Read without a lock by the listener (under the registry's lock); written under this. */
    private final ConcurrentHashMap<Claim, Holder> maps = new ConcurrentHashMap<>();
    private final ReferenceQueue<MonotoneCounterMap<?>> collected = new ReferenceQueue<>();

    private RemovalFanout() {
    }

    /**
     * Has the registry tell {@code map} of removed meters, and records its claim.
     *
     * @throws IllegalArgumentException if a live map holds the claim already
     */
    static void watch(MeterRegistry registry, MonotoneCounterMap<?> map, Claim claim) {
        RemovalFanout fanout;
        synchronized (BY_REGISTRY) {
            fanout = BY_REGISTRY.get(registry);
            if (fanout == null) {
                fanout = new RemovalFanout();
                registry.config().onMeterRemoved(fanout).onMeterAdded(RemovalFanout::added);
                BY_REGISTRY.put(registry, fanout);
            }
        }
        fanout.claim(map, claim);
    }

    private synchronized void claim(MonotoneCounterMap<?> map, Claim claim) {
        for (Reference<? extends MonotoneCounterMap<?>> r; (r = collected.poll()) != null; ) {
            Holder gone = (Holder) r;
            maps.remove(gone.claim, gone);
        }
        Holder held = maps.get(claim);
        if (held != null && held.get() != null) {
            throw new IllegalArgumentException("a counter map named '" + claim.name() + "' with the tags "
                    + claim.tags() + " and the key tag '" + claim.keyTag() + "' is already exported to this"
                    + " registry: its series and this map's would have the same ids;"
                    + " the claim is released once that map is garbage collected");
        }
        maps.put(claim, new Holder(map, claim, collected));
    }

    /**
     * Runs {@code registration}, which registers one meter in a registry this class watches, and
     * returns its meter and whether the registry made it then: told its added listeners of it on
     * this thread. A meter the registry held already (Micrometer returns the registered meter for
     * an id it has) was not made. A no-op meter (a filter denied the id) counts as made: it is
     * nobody's, and removing it does nothing. {@code whenAdded} is told of every meter the
     * registry adds on this thread during the registration, but those of a registration nested
     * in it, as the registry adds it: before the registration returns, holding the registry's lock.
     */
    static Registered register(Supplier<FunctionCounter> registration, Consumer<Meter> whenAdded) {
        Consumer<Meter> outer = ADDED.get();
        List<Meter> mine = new ArrayList<>(2);
        ADDED.set(meter -> {
            mine.add(meter);
            whenAdded.accept(meter);
        });
        FunctionCounter meter;
        try {
            meter = registration.get();
        } finally {
            if (outer == null) {
                ADDED.remove();
            } else {
                ADDED.set(outer);
            }
        }
        boolean made = meter instanceof NoopMeter;
        for (Meter added : mine) {
            made |= added == meter;
        }
        return new Registered(meter, made);
    }

    /** The registry's added listener: runs under its lock, on the registering thread. */
    private static void added(Meter meter) {
        Consumer<Meter> sink = ADDED.get();
        if (sink != null) {
            sink.accept(meter);
        }
    }

    /** Runs under the registry's lock: takes none of ours. */
    @Override
    public void accept(Meter meter) {
        for (Holder holder : maps.values()) {
            MonotoneCounterMap<?> map = holder.get();
            if (map != null) {
                map.onRegistryRemoval(meter);
            }
        }
    }
}
