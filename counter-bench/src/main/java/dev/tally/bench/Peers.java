package dev.tally.bench;

/** Settings shared by the benchmarks. */
final class Peers {

    /**
     * Stripes for JCTools' fixed-size counter: four per CPU, as JCTools' own benchmarks size it
     * (it cannot grow, so it is sized for contention up front).
     */
    static final int JCTOOLS_STRIPES = 4 * Runtime.getRuntime().availableProcessors();

    private Peers() {
    }
}
