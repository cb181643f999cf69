/**
 * The tally {@code Counter} API: {@code Counter}, {@code CounterMap} and their contracts. Implementations live in the
 * module {@code dev.tally.counter.impl}.
 */
module dev.tally.counter {
    exports dev.tally.counter;
}
