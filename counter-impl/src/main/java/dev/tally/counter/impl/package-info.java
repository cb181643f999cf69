/**
 * Implementations of {@link dev.tally.counter.Counter}, each {@code final} with a public no-arg
 * constructor. Each class comment states whether it is thread-safe, what {@code get()} promises
 * while other threads update it, and its progress guarantee.
 *
 * <table class="striped">
 *   <caption>Which counter to use</caption>
 *   <thead>
 *     <tr><th>class</th><th>thread-safe</th><th>{@code get()}</th><th>progress</th></tr>
 *   </thead>
 *   <tbody>
 *     <tr><td>{@link dev.tally.counter.impl.UnsynchronizedCounter}</td><td>no</td>
 *         <td>only for the one thread that uses it</td><td>-</td></tr>
 *     <tr><td>{@link dev.tally.counter.impl.SynchronizedCounter}</td><td>yes</td>
 *         <td>linearizable</td><td>blocking</td></tr>
 *     <tr><td>{@link dev.tally.counter.impl.LockingCounter}</td><td>yes</td>
 *         <td>linearizable</td><td>blocking</td></tr>
 *     <tr><td>{@link dev.tally.counter.impl.AtomicCounter}</td><td>yes</td>
 *         <td>linearizable</td><td>lock-free</td></tr>
 *     <tr><td>{@link dev.tally.counter.impl.StripedCounter}</td><td>yes</td>
 *         <td>a lower bound: never below a value held during the call</td>
 *         <td>lock-free</td></tr>
 *     <tr><td>{@link dev.tally.counter.impl.PerThreadCounter}</td><td>yes; each handle belongs
 *         to one thread</td><td>the same lower bound, an add counting once its store is
 *         visible</td><td>handle adds wait-free; reads and drains may block</td></tr>
 *   </tbody>
 * </table>
 *
 * <p>{@link dev.tally.counter.impl.StripedCounterMap} implements
 * {@link dev.tally.counter.CounterMap}: a counter per key, drained exactly-once, idle keys
 * removed, with an optional cap on the number of keys.
 */
package dev.tally.counter.impl;
