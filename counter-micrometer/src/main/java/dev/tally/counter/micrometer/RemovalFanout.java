package dev.tally.counter.micrometer;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The one removal listener a registry gets for all the {@link MonotoneCounterMap}s exported to
 * it, which it holds weakly, and the claims those maps hold: a name, fixed tags and key tag that
 * one live map at a time may export under. Micrometer keeps a listener for good (1.17 cannot
 * remove one), so a listener per map would grow the registry with every map made and dropped.
 * A claim is released when its map is garbage collected.
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
                registry.config().onMeterRemoved(fanout);
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
