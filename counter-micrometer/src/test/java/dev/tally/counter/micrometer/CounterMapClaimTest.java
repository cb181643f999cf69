package dev.tally.counter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.tally.counter.impl.StripedCounterMap;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A map claims its name, fixed tags and key tag in its registry until it is garbage collected,
 * and every map of a registry shares one removal listener.
 */
final class CounterMapClaimTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();

    private MonotoneCounterMap<String> map(String name, Tags tags, String keyTag) {
        return TallyMeters.counterMap(registry, name, tags, keyTag, new StripedCounterMap<>());
    }

    @Test
    void aSecondMapWithTheSameNameTagsInAnyOrderAndKeyTagIsRefusedBeforeEitherHasASeries() {
        MonotoneCounterMap<String> first = map("http.hits", Tags.of("shop", "eu", "region", "north"), "path");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> map("http.hits", Tags.of("region", "north", "shop", "eu"), "path"))
                .withMessageContaining("'http.hits'").withMessageContaining("'path'")
                .withMessageContaining("shop");
        map("http.hits", Tags.of("shop", "eu", "region", "north"), "route");
        map("http.hits", Tags.of("shop", "eu"), "path");
        map("page.views", Tags.of("shop", "eu", "region", "north"), "path");
        first.add("/a", 1);
        assertThat(registry.get("http.hits").tag("path", "/a").functionCounter().count()).isEqualTo(1.0);
    }

    @Test
    void theClaimIsReleasedOnceTheMapIsGarbageCollected() {
        WeakReference<MonotoneCounterMap<String>> first = new WeakReference<>(map("http.hits", Tags.empty(), "path"));
        for (int i = 0; i < 20 && first.get() != null; i++) {
            System.gc();
        }
        assertThat(first.get()).as("the first map, unreachable").isNull();
        map("http.hits", Tags.empty(), "path").add("/a", 2);
        assertThat(registry.get("http.hits").tag("path", "/a").functionCounter().count()).isEqualTo(2.0);
    }

    @Test
    void everyMapOfARegistrySharesOneRemovalListenerThatReachesEachOfThem() throws ReflectiveOperationException {
        List<MonotoneCounterMap<String>> maps = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            MonotoneCounterMap<String> map = map("m" + i, Tags.empty(), "k");
            map.add("/a", i);
            maps.add(map);
        }
        Field listeners = MeterRegistry.class.getDeclaredField("meterRemovedListeners");
        listeners.setAccessible(true);
        assertThat((List<?>) listeners.get(registry)).hasSize(1);
        registry.clear();
        for (MonotoneCounterMap<String> map : maps) {
            map.add("/a", 1);              // registered again: the listener told it of the clear
        }
        for (int i = 0; i < 100; i++) {
            assertThat(registry.get("m" + i).tag("k", "/a").functionCounter().count()).isEqualTo(i + 1.0);
        }
    }
}
