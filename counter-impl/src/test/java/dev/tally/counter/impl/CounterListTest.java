package dev.tally.counter.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.counter.Counter;
import dev.tally.counter.testkit.CounterContractTest;
import dev.tally.counter.testkit.Counters;
import dev.tally.counter.testkit.Coverage;
import dev.tally.counter.testkit.ThreadSafeCounterContractTest;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link Counters}, the one list, names every public counter of this module, and every counter it
 * names has its contract test here: the exact-total suite for each thread-safe one.
 */
final class CounterListTest {

    @Test
    void everyPublicCounterIsInTheOneList() {
        List<Class<?>> counters = Coverage.classesBeside(StripedCounter.class).stream()
                .filter(c -> Modifier.isPublic(c.getModifiers()) && !c.isInterface()
                        && !Modifier.isAbstract(c.getModifiers())
                        && Counter.class.isAssignableFrom(c))
                .toList();
        assertThat(counters).as("public counters found").isNotEmpty();
        for (Class<?> counter : counters) {
            assertThat(Counters.of(counter)).as("%s in Counters", counter.getName()).isPresent();
        }
    }

    @Test
    void everyListedCounterLoadsAndStartsAtZero() {
        for (Counters counter : Counters.values()) {
            assertThat(counter.newCounter().get()).as(counter.label()).isZero();
        }
    }

    @Test
    void everyListedCounterRunsTheContractSuiteThatFitsItsPromises() throws ReflectiveOperationException {
        Map<Counters, Class<?>> suites = new HashMap<>();
        for (Class<?> test : Coverage.classesBeside(CounterListTest.class)) {
            if (CounterContractTest.class.isAssignableFrom(test)
                    && !Modifier.isAbstract(test.getModifiers())) {
                Constructor<?> make = test.getDeclaredConstructor();
                make.setAccessible(true);
                Method newCounter = test.getDeclaredMethod("newCounter");
                newCounter.setAccessible(true);
                Class<?> type = newCounter.invoke(make.newInstance()).getClass();
                Counters.of(type).ifPresent(c -> suites.put(c, test));
            }
        }
        for (Counters counter : Counters.values()) {
            assertThat(suites).as("a contract test of %s", counter.label()).containsKey(counter);
            Class<?> expected = counter.promises().threadSafe()
                    ? ThreadSafeCounterContractTest.class : CounterContractTest.class;
            assertThat(suites.get(counter)).as("the suite of %s", counter.label())
                    .isAssignableTo(expected);
        }
    }
}
