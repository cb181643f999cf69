/**
 * The tally {@code Counter} API: one interface and its contract. Implementations live in the
 * module {@code dev.tally.counter.impl}.
 */
module dev.tally.counter {
    exports dev.tally.counter;
}
