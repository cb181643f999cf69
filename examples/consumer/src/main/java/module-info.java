/** The consumer example as a named module: it reads counter-impl, and through it counter-api. */
module dev.tally.examples.consumer {
    requires dev.tally.counter.impl;
}
