package dev.tally.stress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.Counter;
import dev.tally.counter.testkit.Counters;
import dev.tally.counter.testkit.Coverage;
import dev.tally.counter.testkit.Promises.WritePath;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.openjdk.jcstress.annotations.JCStressTest;

/**
 * Every jcstress scenario runs every thread-safe counter of {@link Counters}, each way it is
 * written, as a nested variant, or its file says why not ({@code @LeavesOut}).
 *
 * <p>A variant covers the counters its state holds; it writes through the {@code Counter}
 * methods when it keeps the counter as a {@code Counter}, and through handles when it keeps it
 * as its own class (which it does only to open them).
 */
final class ScenarioCoverageTest {

    @Test
    void everyScenarioCoversEveryThreadSafeCounterEveryWayOrSaysWhyNot() throws Exception {
        List<Class<?>> scenarios = Coverage.classesBeside(IncrementRace.class).stream()
                .filter(c -> variants(c).length > 0 && !isMapScenario(c))
                .toList();
        assertThat(scenarios).extracting(Class::getSimpleName)
                .contains("IncrementRace", "DeltaRace", "DrainRace", "DrainSplit", "NeverBelowZero",
                        "Visibility");
        for (Class<?> scenario : scenarios) {
            Set<Coverage.Pair> covered = new HashSet<>();
            for (Class<?> variant : variants(scenario)) {
                covered.addAll(coveredBy(variant));
            }
            Coverage.assertCovers(scenario, Coverage.required(EnumSet.allOf(WritePath.class)),
                    covered);
        }
    }

    /**
     * The map scenarios race a {@code CounterMap}'s drains and removals, which the counters of
     * {@link Counters} do not have; a map handle there ({@code counter(key)}) is the map's, not a
     * listed counter. They are held to their own list instead.
     */
    @Test
    void theMapScenariosRaceStripedCounterMapAndItsHandle() {
        List<String> maps = Coverage.classesBeside(IncrementRace.class).stream()
                .filter(ScenarioCoverageTest::isMapScenario)
                .map(Class::getSimpleName)
                .toList();
        assertThat(maps).containsExactlyInAnyOrder("MapCapRace", "MapDrainRace", "MapRemovalRace");
        assertThat(variants(MapRemovalRace.class)).extracting(Class::getSimpleName)
                .contains("Striped", "StripedHandle", "StripedCached");
    }

    private static boolean isMapScenario(Class<?> scenario) {
        return java.util.Arrays.stream(variants(scenario))
                .flatMap(v -> java.util.Arrays.stream(v.getDeclaredFields()))
                .anyMatch(f -> dev.tally.counter.CounterMap.class.isAssignableFrom(f.getType()));
    }

    private static Class<?>[] variants(Class<?> scenario) {
        return java.util.Arrays.stream(scenario.getDeclaredClasses())
                .filter(v -> v.isAnnotationPresent(JCStressTest.class))
                .toArray(Class<?>[]::new);
    }

    private static Set<Coverage.Pair> coveredBy(Class<?> variant) throws Exception {
        Object state = variant.getConstructor().newInstance();
        Set<Coverage.Pair> pairs = new HashSet<>();
        for (Field field : variant.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers())) {
                continue;
            }
            field.setAccessible(true);
            Object value = field.get(state);
            if (value instanceof Counter) {
                Counters counter = Counters.of(value.getClass()).orElseThrow(() ->
                        new AssertionError(value.getClass() + " in " + variant + " is not in Counters"));
                WritePath path = field.getType() == Counter.class
                        || !counter.promises().writePaths().contains(WritePath.HANDLE)
                        ? WritePath.COUNTER_METHODS : WritePath.HANDLE;
                pairs.add(new Coverage.Pair(counter, path));
            }
        }
        return pairs;
    }
}
