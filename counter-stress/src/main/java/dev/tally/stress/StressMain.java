package dev.tally.stress;

import dev.tally.counter.testkit.Counters;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * The proof that {@code count += 1} loses updates and tally's counters do not, from the command
 * line. Maven runs it: {@code mvn -B verify} runs the gate, and
 * {@code mvn -B -Pproof -pl counter-stress -am verify} runs the proof.
 *
 * <p>Modes: {@code gate} runs the jcstress scenarios briefly and fails when a thread-safe counter
 * shows a forbidden outcome, a test errs or does not run, or the naive counter's lost update never
 * shows. {@code proof} runs the seed experiment, the in-flight experiment and a longer jcstress run
 * with the same verdicts. {@code demo} runs only the two experiments. Any further arguments go to
 * jcstress and override the mode's settings.
 */
public final class StressMain {

    private static final List<String> SCENARIOS = List.of("-t", "^dev\\.tally\\.stress\\.");

    /**
     * One JVM configuration (C2 only; with and without biased locking where the JVM has it), each
     * test in forks of 2 iterations of 100 ms (the quick preset has 5 of 200), with a 64 MB heap
     * per fork, not touched at start: the forks' start-up is most of the gate's time, and
     * jcstress's default heap, touched at start, is most of that start-up (measured in the commit
     * that set it), in a build whose budget is 6 minutes. Every control must still show its bug.
     */
    private static final List<String> GATE = List.of("-m", "quick", "-iters", "2", "-time", "100",
            "-hs", "64", "-pth", "false", "-sc", "false", "-jvmArgs", "-XX:-TieredCompilation",
            "-r", "jcstress-gate");

    /**
     * Interpreter, C1, C2 and C2 with stress flags (each with and without biased locking where the
     * JVM has it), each in its own fork; the README gives how long it takes, with the machine.
     */
    private static final List<String> PROOF = List.of("-m", "quick", "-sc", "false",
            "-r", "jcstress-report");

    private StressMain() {
    }

    /**
     * Runs the mode named by the first argument ({@code gate}, {@code proof} or {@code demo}) and
     * exits with status 0 if everything held, 1 if not, and 2 for a bad argument.
     *
     * @param args the mode, then any jcstress options to add
     * @throws Exception if jcstress or an experiment cannot run
     */
    public static void main(String[] args) throws Exception {
        String mode = args.length == 0 ? "gate" : args[0];
        List<String> extra = args.length == 0 ? List.of()
                : Arrays.asList(args).subList(1, args.length);
        PrintStream out = System.out;
        boolean passed;
        switch (mode) {
            case "gate" -> passed = jcstress(out, GATE, extra);
            case "demo" -> passed = demos(out);
            case "proof" -> {
                boolean demos = demos(out);
                passed = jcstress(out, PROOF, extra) && demos;
            }
            default -> {
                System.err.println("Unknown mode '" + mode + "': use gate, proof or demo.");
                System.exit(2);
                return;
            }
        }
        System.exit(passed ? 0 : 1);
    }

    private static boolean demos(PrintStream out) throws Exception {
        banner(out, "1. The seed experiment: " + SeedExperiment.THREADS + " threads, each "
                + "incrementing one shared counter, released together");
        out.println("""
                Python once ended 5 x 100,000 at 481,384. Python is interpreted, and so are the
                first two tables: run with -Xint, the read-add-write steps of the naive counter
                interleave with other threads' and updates are lost; at 5 x 1,000,000 every
                round overlaps, and every round loses.""");
        out.flush();
        boolean interpreted = interpretedSeed("all", "100000")
                && interpretedSeed(Counters.UNSYNCHRONIZED.name(), "1000000");
        out.println("""

                Compiled by the JIT, as code normally runs, the loss is lumpier: the JIT may keep
                the count in a register for the whole loop and write it back once, so one write can
                erase a whole thread's work (a loss of exactly 100,000 or 1,000,000), while a loop
                that ends before the next thread starts loses nothing.""");
        boolean compiled = SeedExperiment.run(out, List.of(Counters.values()),
                100_000, 1_000_000);
        banner(out, "2. Items in flight: the lowest value get() returned (never below 0 is right)");
        boolean inFlight = inFlight(out);
        return interpreted && compiled && inFlight;
    }

    /** Seed rounds in a child JVM that only interprets; see {@link SeedExperiment#main}. */
    private static boolean interpretedSeed(String implementations, String increments)
            throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xint", "-cp",
                System.getProperty("java.class.path"), SeedExperiment.class.getName(),
                implementations, increments)
                .inheritIO()
                .start();
        return child.waitFor() == 0;
    }

    private static boolean inFlight(PrintStream out) throws InterruptedException {
        int producers = 2;
        int items = 500_000;
        out.printf(Locale.ROOT, "%d producers and %d consumers, %,d items each way, swapping "
                + "roles halfway; one reader.%n", producers, producers, items);
        out.printf(Locale.ROOT, "%-26s %13s %13s %8s%n", "counter", "reads", "lowest read", "final");
        boolean ok = true;
        for (Counters implementation : Counters.values()) {
            if (!implementation.promises().threadSafe()) {
                continue;
            }
            InFlightExperiment.Readings r = InFlightExperiment.run(
                    InFlightExperiment.of(implementation.newCounter()), producers, items);
            out.printf(Locale.ROOT, "%-26s %,13d %,13d %,8d%n",
                    implementation.label(), r.reads(), r.lowest(), r.finalValue());
            ok &= r.lowest() >= 0 && r.finalValue() == 0;
        }
        InFlightExperiment.Readings adder = InFlightExperiment.run(
                InFlightExperiment.of(new LongAdder()), producers, items);
        out.printf(Locale.ROOT, "%-26s %,13d %,13d %,8d   (JDK, for comparison; not gated)%n",
                "java.util.concurrent.LongAdder", adder.reads(), adder.lowest(),
                adder.finalValue());
        out.println(ok ? "No tally counter read below zero." : "FAILED: a tally counter read below zero.");
        return ok;
    }

    private static boolean jcstress(PrintStream out, List<String> mode, List<String> extra)
            throws Exception {
        banner(out, "jcstress: " + String.join(" ", mode) + " " + String.join(" ", extra));
        List<String> args = new ArrayList<>(SCENARIOS);
        args.addAll(mode);
        SuiteRun run = SuiteRun.start(override(args, extra));
        Summary summary = Summary.of(run.expectedTests(), run.results());
        banner(out, "Outcomes seen, over all configurations");
        summary.printOutcomes(out);
        banner(out, "Summary");
        summary.print(out);
        out.println();
        out.println("HTML report: " + run.htmlReport());
        return summary.passed();
    }

    /**
     * {@code base} with each option that {@code extra} names replaced by extra's value, since
     * jcstress rejects an option given twice. Every option in {@code base} takes one value.
     */
    static List<String> override(List<String> base, List<String> extra) {
        List<String> merged = new ArrayList<>();
        for (int i = 0; i + 1 < base.size(); i += 2) {
            if (!extra.contains(base.get(i))) {
                merged.add(base.get(i));
                merged.add(base.get(i + 1));
            }
        }
        merged.addAll(extra);
        return merged;
    }

    private static void banner(PrintStream out, String title) {
        out.println();
        out.println("=".repeat(100));
        out.println(title);
        out.println("=".repeat(100));
    }
}
