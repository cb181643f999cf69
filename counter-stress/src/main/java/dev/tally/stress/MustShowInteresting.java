package dev.tally.stress;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a jcstress test whose ACCEPTABLE_INTERESTING outcome the gate must observe at least once:
 * the race it shows is the point of the suite, and a run that never sees it proves nothing.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@interface MustShowInteresting {
}
