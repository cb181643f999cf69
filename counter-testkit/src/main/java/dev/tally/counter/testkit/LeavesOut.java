package dev.tally.counter.testkit;

import dev.tally.counter.testkit.Promises.WritePath;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Says, on a stress scenario or a benchmark class, why it does not cover a thread-safe counter of
 * {@link Counters}. The coverage tests accept a missing counter only with this declaration.
 *
 * <p>For example, on a benchmark class: {@code @LeavesOut(value = Counters.LOCKING, why = "a
 * locked read is measured beside writers, in MixedBenchmark")}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Repeatable(LeavesOut.All.class)
public @interface LeavesOut {

    /**
     * The counter left out.
     *
     * @return the counter
     */
    Counters value();

    /**
     * The ways of writing it that are left out; all of them unless named.
     *
     * @return the write paths left out
     */
    WritePath[] through() default {WritePath.COUNTER_METHODS, WritePath.HANDLE};

    /**
     * Why: what covers the promise instead, or why it cannot be shown here.
     *
     * @return the reason, in a sentence
     */
    String why();

    /** The container of repeated {@link LeavesOut} declarations. */
    @Documented
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface All {

        /**
         * The declarations.
         *
         * @return each counter left out
         */
        LeavesOut[] value();
    }
}
