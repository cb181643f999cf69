package dev.tally.examples.consumer;

import dev.tally.counter.Counter;
import dev.tally.counter.impl.AtomicCounter;
import dev.tally.counter.impl.UnsynchronizedCounter;

/**
 * Runs the README's first example with counter-impl as a user's build resolves it, then prints
 * where counter-impl was loaded from (the class path or the module path) and the exact count.
 */
public final class Main {

    private Main() {
    }

    /**
     * Runs the example; its asserts are its checks, so this refuses to run without them.
     *
     * @param args ignored
     * @throws InterruptedException if interrupted while joining the example's threads
     */
    public static void main(String[] args) throws InterruptedException {
        if (!Main.class.desiredAssertionStatus()) {
            throw new IllegalStateException("run with -enableassertions: the example checks with assert");
        }
        // The README's first ```java block, unchanged (counter-impl's ConsumerExampleTest checks it).
        // README example: begin
        Counter naive = new UnsynchronizedCounter();   // count += delta: fine on one thread only
        Counter safe = new AtomicCounter();            // one atomic add: never loses an update
        Thread[] threads = new Thread[5];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 100_000; i++) {
                    naive.increment();
                    safe.increment();
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assert safe.get() == 500_000;                  // always
        assert naive.get() <= 500_000;                 // and often less
        // README example: end
        Module impl = safe.getClass().getModule();
        String from = impl.isNamed() ? "module path, module " + impl.getName() : "class path, unnamed module";
        System.out.println("tally consumer: counter-impl on the " + from + ": AtomicCounter counted "
                + safe.get() + " of 500000");
    }
}
