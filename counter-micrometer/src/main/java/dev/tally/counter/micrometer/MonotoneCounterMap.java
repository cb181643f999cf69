package dev.tally.counter.micrometer;

import dev.tally.counter.Counter;
import dev.tally.counter.CounterMap;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.lang.invoke.VarHandle;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.StampedLock;

/**
 * A {@link CounterMap} that the program drains for its own reports while Micrometer exports, for
 * each key, everything ever added to it: one {@code FunctionCounter} series per key, the key under
 * a tag the caller names (keys that print alike share one series, their sum). Made by
 * {@link TallyMeters#counterMap TallyMeters.counterMap}, around a thread-safe map it then owns.
 *
 * <pre>{@code
 * MeterRegistry registry = new SimpleMeterRegistry();
 * MonotoneCounterMap<String> hits = TallyMeters.counterMap(registry, "http.hits", Tags.empty(),
 *         "path", new StripedCounterMap<>());
 * hits.increment("/home");
 * hits.add("/search", 2);
 * assert hits.drain().equals(java.util.Map.of("/home", 1L, "/search", 2L));   // the program's report
 * hits.increment("/home");
 * assert registry.get("http.hits").tag("path", "/home").functionCounter().count() == 2;
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>No series ever decreases or reads below zero, however drains, adds and scrapes
 *       interleave. A scrape that overlaps a drain reports the series' last exported total,
 *       never a reading that the drain has half done.</li>
 *   <li>Adds refuse a negative amount with {@link IllegalArgumentException} naming it, and add
 *       nothing; otherwise they are the wrapped map's, with its thread safety and progress, plus
 *       a look-up of the key's series (a handle from {@link #counter(Object)} skips it). An add
 *       throws an exception only before it counts: a key without a text (its {@code toString()} throws or
 *       returns {@code null}) is refused with {@code IllegalArgumentException} before anything
 *       is added, and a series the registry refuses does not make the add throw (below).</li>
 *   <li>Series: one per meter id as the registry registers it. A key's text
 *       ({@code String.valueOf}) is the value of the key tag; keys with the same text
 *       ({@code 1} and {@code 1L}, or two objects that print alike), and texts that the
 *       registry's filters turn into one id (a filter that folds {@code /user/1} and
 *       {@code /user/2} into {@code /user/*}), share one series: everything ever added to all of
 *       them. A key the wrapped map held before it was exported, or its overflow key, whose
 *       {@code toString()} throws or returns {@code null}, is exported under the text
 *       {@link #NO_TEXT}. A key joins its series, registering it if need be, when an add through this
 *       map finds the key held by the wrapped map, or a drain takes from it: it is registered at
 *       its first add, or, if a drain or registration is in progress, by the thread doing it, as
 *       soon as it is done (an add never waits for the drain lock); so the map's cap bounds the series, and its overflow key is a
 *       series of its own, registered by the first drain that takes from it (its adds arrive
 *       under other keys). A key that two drains in a row take nothing from, and no
 *       {@code getAndReset} of it either (the rule by which {@code StripedCounterMap} removes a
 *       key), leaves its series, whose total keeps what was added to it; the meter is removed
 *       from the registry once every key of the series has left. Added to again, the key starts a
 *       new series.</li>
 *   <li>A series whose registration throws (a meter of another type under its id, a tag the
 *       registry rejects, a filter that throws), or finds its id held by a meter this map did not
 *       make (someone else's {@code FunctionCounter}, registered after the map), is counted all
 *       the same: drains return its keys' amounts as usual, and the failure is logged through
 *       {@code System.Logger} (WARNING, once until a registration succeeds, naming the meter, the
 *       key text and the cause). The map never exports another's meter as its series, nor removes
 *       it. The next drain or {@code getAndReset} that takes from one of its keys tries again,
 *       once per drain; adds do not, so an add of such a key costs what any add costs. Once
 *       registered the series exports its whole total. An {@code Error} thrown while registering
 *       is rethrown: by an add after it counted, by a drain as below.</li>
 *   <li>A meter removed by someone else ({@code registry.remove}, {@code registry.clear()}) is
 *       registered again by the next add through this map to one of its keys, or drain or
 *       {@code getAndReset} that takes from one, or before the map registers a new series, and
 *       goes on from the total it had; so a new key text that the filters fold into a removed
 *       series gets that series' meter back, with its total. One window is left: if someone else
 *       removes that series' meter at the moment the new text registers, the registry makes a
 *       fresh meter, which a scrape on another thread may read as 0 between the registry's
 *       adding it and telling its listeners (from then on it reads the series' total).</li>
 *   <li>{@link #drain()} and {@link #getAndReset(Object)}: the wrapped map's, exactly-once;
 *       blocking, one at a time. One that throws after the wrapped map's drain (only an
 *       {@code Error} can, such as {@code OutOfMemoryError}) puts what it took back into the map,
 *       and out of every series that had counted it, so the next drain returns it. {@code get}, {@code snapshot} and
 *       {@code size}: the wrapped map's.</li>
 *   <li>Past {@link Long#MAX_VALUE} a series' total is exported as an unsigned number, as
 *       {@link MonotoneCounter} exports its total, up to 2<sup>64</sup>&minus;1; past that the
 *       series stays at its highest (it never falls), unlike {@code MonotoneCounter}'s.</li>
 * </ul>
 *
 * <p>Once exported, the wrapped map must be added to only through this object (or handles from
 * it) and drained only through it. The registry holds the map through its series while it has
 * one, and weakly otherwise: one removal listener per registry tells every map exported to it of
 * removed meters, and holds them weakly. A map claims its name, fixed tags and key tag in its
 * registry until it is garbage collected: {@code TallyMeters.counterMap} refuses a second map with
 * the same three while the first is reachable, even before either has a series.
 *
 * <p>A registry listener ({@code onMeterAdded}, {@code onMeterRemoved}) may add to the map: the
 * registry calls it holding its own lock, so its add does not wait for the drain lock, and a new
 * key it adds while another thread drains or registers is joined by that thread once it is done.
 * Called on the thread of this map's own removal of a meter (a drain that removes an idle series),
 * its add joins the key at once; called inside this map's own registration, its key joins once
 * that registration is done. A
 * listener must not drain the map nor call {@code getAndReset}: those wait for the drain lock,
 * and a drain holding it may be waiting for the registry's lock, which the listener holds.
 *
 * @param <K> the type of the keys
 */
public final class MonotoneCounterMap<K> implements CounterMap<K> {

    /*
     * Implementation overview.
     *
     * Keys with one text make one meter id, and a filter can make several texts one id, so the
     * export is by registered id: a TextSeries holds the keys (its members) whose texts made its
     * id, drained, what this object's drains have taken from them, and its meter, whose reading
     * is drained + the sum of map.get(member) over its members. texts maps each text that has a
     * key to its series; live holds every series once. A key joins its text's series when an add
     * finds the key held by the map, or a drain takes from it; a text without a series gets a new
     * one, registered, and if the registry returns the id of another live series (its filters
     * made the two texts one id) the new one is folded into that one (keys and drained moved, then
     * a forward pointer, which a meter made for it follows). A key leaves after two idle drains,
     * its text leaves texts with the series' last key of that text, and the series leaves the
     * registry with its last key. drained stays with the series when a key leaves: the series
     * goes on counting what its other keys had.
     *
     * A drain takes from the map first and adds to drained after, so between the two a reading
     * would fall by what was taken. Drains therefore run inside takes' write lock, and a scrape
     * reads its series under an optimistic read of it: if a drain ran during the read, the scrape
     * reports the series' highest exported total instead (a value it really reached, so at most
     * the true total), without waiting. A validated reading is between the totals at its start and
     * its end (no drain moved anything, and totals only rise), so it is never below an earlier
     * reading; the compare-and-set maximum keeps two scrapers from exporting each other's older
     * readings. A key leaves as idle only if it reads 0 after it is marked removed, and an add
     * reads the mark after adding, so an add that races the leaving either keeps the key in or
     * joins it again; the maximum covers a wrapped map whose reads and adds are weaker than that.
     * Keys leave inside the write lock too: a scrape that read the key list of a series before a
     * key left it, and that key after an add that raced the leaving, fails its validation, where
     * it would have exported an amount that the key's next series exports again. The meters of
     * series left without keys are removed from the registry after the write lock is let go.
     *
     * All registrations and removals run under drainLock, and never inside a ConcurrentHashMap
     * compute. An add only tries drainLock (tryLock): Micrometer calls its onMeterAdded listeners
     * holding its meter-map lock, and a drain holding drainLock may be waiting for that lock to
     * register or remove, so a listener's add that waited would deadlock; a key it cannot join
     * now goes into pendingJoins, which the lock's holder empties after letting go of it. Nor does our removal
     * listener (onRegistryRemoval) take a lock of ours, for the same reason; it marks the series
     * unregistered, and the next add to one of its keys, or drain that takes from one, registers
     * it again, the same object, so it goes on from its total. A registration that throws an
     * exception leaves the series unregistered the same way, so nothing that counts throws. The
     * registry keeps its listeners for good (Micrometer 1.17 cannot remove one), so there is one
     * per registry, RemovalFanout, holding the maps weakly: a map whose series have all left the
     * registry is not kept alive by it. byMeterId finds a series from the removed meter's id as
     * the registry has it (after its filters); our own removal of an idle series takes it out of
     * byMeterId first, so the listener ignores it. A user's removal in the moment between a
     * registration and its byMeterId entry is caught by pending: while a registration is in
     * flight the listener records the ids it cannot find, then looks again; register() looks for
     * its id in pending after its byMeterId put. Of the two look-ups one sees the other's write,
     * so the series is marked. registering counts the registrations in flight (a registry
     * listener that adds to the map nests one inside another on the same thread), and pending is
     * emptied when the outermost ends, not the inner one, whose end would hide an id from the
     * outer look-up: it holds at most the ids removed during one outermost registration.
     *
     * A series whose registration failed (threw, or the registry returned a meter of its id that
     * this map did not make, as RemovalFanout.register tells from the registry's added listener
     * on the registering thread) is marked failed: adds leave it alone, and a drain retries it
     * once (failedAt, the drain count). Such a meter is never s.meter, so never removed by us.
     *
     * A fresh meter made for a new text reads the new series, empty, until fold() points it at the
     * holder of its id. Two things keep that from reading 0 where the id had a total: before a new
     * series registers, the series someone else removed are registered again (removedByOthers), so
     * the registry returns the holder's meter; and the registry's added listener, run on the
     * registering thread before the registration returns, points an empty new series at the
     * holder at once (forwardEarly). Left, in principle: a removal on another thread between the
     * two, read by a scrape before the listener runs; Micrometer 1.17.2 runs its added listeners
     * before it publishes the meter in its map, so there a scrape cannot see the meter first.
     *
     * A registry listener's add inside our own registration does not register (discover queues
     * its key while registering != 0): a registration nested in Micrometer's of the same id left a
     * meter in its pre-filter cache that its map no longer held, and that meter came back to every
     * later registration of the key, refused as not ours.
     *
     * A drain that throws after the wrapped map's drain gives every amount back (putBack), each on
     * its own; one that cannot go back (its key's hashCode throws again) goes to owed, which the
     * next drain delivers and get/snapshot read, never the series' totals (a scrape reports the
     * last exported total until the next drain accounts it).
     *
     * An add reads the key's text, when the key has no member yet, before the wrapped map counts
     * it, and refuses a key without one; a drain, which cannot refuse what the map holds, exports
     * such a key under NO_TEXT.
     */

    private static final System.Logger LOG = System.getLogger(MonotoneCounterMap.class.getName());

    /**
     * The text, and so the key tag's value, of a key whose {@code toString()} throws or returns
     * {@code null} and that a drain or {@code getAndReset} finds in the wrapped map (added before
     * the map was exported, or through the overflow key): all such keys share this one series.
     * An add or handle refuses such a key instead, before anything is counted.
     */
    public static final String NO_TEXT = "(no text)";

    private final CounterMap<K> map;
    private final MeterRegistry registry;
    private final String name;
    private final Tags tags;
    private final String keyTag;
    private final ConcurrentHashMap<K, TextSeries.Member<K>> members = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, TextSeries<K>> texts = new ConcurrentHashMap<>();
    private final Set<TextSeries<K>> live = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<Meter.Id, TextSeries<K>> byMeterId = new ConcurrentHashMap<>();
    /**
     * Amounts a drain that threw could not give back to the wrapped map (see putBack): the next
     * drain delivers them (in its result), and get and snapshot add them. Written under drainLock.
     */
    private final ConcurrentLinkedQueue<Map.Entry<K, Long>> owed = new ConcurrentLinkedQueue<>();
    /** Meters of series that left, whose removal from the registry threw before it let go of them. */
    private final Set<FunctionCounter> stranded = ConcurrentHashMap.newKeySet();
    /** Ids removed while a registration was in flight and byMeterId did not have them yet. */
    private final Set<Meter.Id> pending = ConcurrentHashMap.newKeySet();
    /** Registrations in flight (nested when a registry listener re-enters); written under drainLock. */
    private volatile int registering;
    private volatile boolean noTextLogged;
    /** Set when someone else removes a meter of ours: see reregisterRemoved. */
    private volatile boolean removedByOthers;
    /** Drains and getAndResets begun; written under drainLock. A failed series retries once per drain. */
    private long drains;
    private final ReentrantLock drainLock = new ReentrantLock();
    /**
     * Keys whose add found the drain lock held: joined by the thread that holds it next, after it
     * lets go of it (see {@link #unlockAndJoin()}), so that no key is left out of its series once
     * the adds stop.
     */
    private final ConcurrentLinkedQueue<K> pendingJoins = new ConcurrentLinkedQueue<>();
    private final StampedLock takes = new StampedLock();

    MonotoneCounterMap(MeterRegistry registry, String name, Iterable<Tag> tags, String keyTag,
            CounterMap<K> map) {
        this.map = map;
        this.registry = registry;
        this.name = name;
        this.tags = Tags.of(tags);
        this.keyTag = keyTag;
    }

    /** Called by the registry's {@link RemovalFanout}, under the registry's lock: takes none of ours. */
    void onRegistryRemoval(Meter meter) {
        Meter.Id id = meter.getId();
        // Read before the look-up, not after: a registration that ends between the two (its
        // byMeterId put after the look-up, its count back to 0 before the read) would otherwise
        // leave the removal of its meter unmarked, as the CI run of 7d662d5 showed (1 series of
        // 5,000 never registered again). Read first, it is nonzero for any registration whose
        // meter this is and that had not put it in byMeterId when the look-up ran.
        boolean inFlight = registering != 0;
        TextSeries<K> s = byMeterId.get(id);
        if (s == null && inFlight) {
            // Perhaps the meter a registration in flight has not yet put in byMeterId: recorded,
            // then looked up again. Either this second look-up sees register()'s put, or
            // register()'s look-up in pending, after its put, sees this id.
            pending.add(id);
            s = byMeterId.get(id);
        }
        if (s != null) {
            s.unregistered = true;
            removedByOthers = true;
        }
    }

    /**
     * Adds {@code delta}, which must be zero or more, to the value of {@code key}. Thread-safe,
     * with the wrapped map's progress guarantee, plus a look-up of the key's series; the first
     * add of a key that has no series also reads its text, and tries the drain lock to join it,
     * without waiting: if a drain or registration holds it, the thread holding it joins the key
     * once done.
     * It throws only before anything is counted: a series that cannot be registered is logged
     * and registered again by a later add or drain, its amounts counted all the same.
     *
     * @throws IllegalArgumentException if {@code delta} is negative, or the key's
     *     {@code toString()} throws or returns {@code null} (a key needs a text for its series);
     *     nothing is added
     */
    @Override
    public void add(K key, long delta) {
        requireNotNegative(key, delta);
        TextSeries.Member<K> m = members.get(key);
        String text = m == null || m.removed ? textOf(key) : null;   // may throw: before the add
        map.add(key, delta);
        // m.removed read again after the add: see removeIdle. A series that failed to register
        // is retried by drains only, so that such a key's add costs what any other's does.
        if (m == null || m.removed || m.series.unregistered && !m.series.failed) {
            discover(key, text);
        }
    }

    /**
     * Joins the key to its series (registered) if the wrapped map holds it; returns it, or null.
     * {@code text} is the key's text if the caller has it, or null.
     */
    private TextSeries.Member<K> discover(K key, String text) {
        TextSeries.Member<K> found = members.get(key);
        if (found != null ? !found.removed && (!found.series.unregistered || found.series.failed)
                : map.get(key) == 0L) {
            return found;   // not held, for example past the cap: its adds went to the overflow key
        }
        // Not lock(): Micrometer calls its listeners holding its own lock, which a drain holding
        // ours may be waiting for, so a listener's add that waited here would deadlock. The key
        // waits in pendingJoins for whoever holds the lock: it joins it after letting go.
        if (!drainLock.tryLock()) {
            pendingJoins.add(key);
            joinPending();
            return found;
        }
        try {
            if (registering != 0) {
                // A registry listener's add inside our own registration, on this thread: a
                // registration from here would nest in Micrometer's of the same id, which can
                // leave a meter in its cache that its map no longer holds, returned to every later
                // registration of the key (review ml3: its adds never exported again). The key
                // joins once the outer registration is done, as a queued key does.
                pendingJoins.add(key);
                return found;
            }
            found = members.get(key);
            return found != null || map.get(key) != 0L ? memberOf(key, text, false) : null;
        } finally {
            unlockAndJoin();
        }
    }

    /**
     * Lets go of the drain lock, then joins the keys that adds left in {@link #pendingJoins}
     * meanwhile. An add that finds the lock held queues its key before its try fails, and the
     * holder looks at the queue after letting go (both through volatile accesses, ordered), so a
     * queued key is always joined by one of them.
     */
    private void unlockAndJoin() {
        drainLock.unlock();
        if (!drainLock.isHeldByCurrentThread()) {   // else the outer holder joins them
            joinPending();
        }
    }

    /**
     * Joins the queued keys, taking the drain lock only if it is free. Never throws: it runs after
     * the caller's own work is done (a drain's result is already taken); a key that fails to join
     * is joined by a later add or the drain that takes it.
     */
    private void joinPending() {
        while (!pendingJoins.isEmpty() && drainLock.tryLock()) {
            try {
                K key;
                while ((key = pendingJoins.poll()) != null) {
                    try {
                        if (members.get(key) != null || map.get(key) != 0L) {
                            memberOf(key, null, false);
                        }
                    } catch (RuntimeException | Error e) {
                        warn("a key could not join its series now; a later add or drain joins it", e);
                    }
                }
            } finally {
                drainLock.unlock();
            }
        }
    }

    /**
     * The key's place in its series, joined and registered if need be; under the drain lock.
     * Throws only an {@code Error}; what it may allocate comes before anything it changes, so one
     * that throws leaves the counts as they were (at worst a series without keys, which the next
     * drain removes). {@code inDrain}: called by a drain or getAndReset, which retry a series
     * that failed to register (once each); an add does not.
     */
    private TextSeries.Member<K> memberOf(K key, String knownText, boolean inDrain) {
        TextSeries.Member<K> m = members.get(key);
        if (m != null && !m.removed) {   // marked removed here: it left its series (removeIdle)
            register(m.series, inDrain);
            return m;
        }
        String text = knownText != null ? knownText : exportText(key);
        TextSeries<K> s = texts.get(text);
        if (s == null || s.left) {
            if (removedByOthers) {
                reregisterRemoved();
            }
            s = new TextSeries<>(text);
            texts.put(text, s);
            live.add(s);
        }
        s = register(s, inDrain);
        // The registration may have re-entered this map on this thread (a listener of the
        // registry that adds to it, the drain lock being reentrant) and joined the key already:
        // joining it again would list it twice, and its series would export its amount twice.
        TextSeries.Member<K> joinedMeanwhile = members.get(key);
        if (joinedMeanwhile != null && !joinedMeanwhile.removed) {
            return joinedMeanwhile;
        }
        m = new TextSeries.Member<>(key, text, s);
        MemberList<K> published = s.members.with(m);
        members.put(key, m);   // before the series lists it: a key is never listed twice
        s.members = published;
        return m;
    }

    /**
     * Registers again, before a new series is registered, the live series that someone else
     * removed from the registry: a new series whose id the filters make one of theirs then gets
     * their meter back from the registry, instead of a fresh one that would read the new, empty
     * series (0) until fold() forwards it. Under the drain lock.
     */
    private void reregisterRemoved() {
        removedByOthers = false;   // first: a removal during the loop sets it again
        for (TextSeries<K> t : live) {
            if (t.unregistered && !t.failed && t.meter != null) {
                register(t, false);
            }
        }
    }

    /**
     * Registers the series' meter if it is out of the registry, and returns the series that holds
     * its keys now: itself, or the series it was folded into because the registry's filters gave
     * it that one's id. A registration that throws an exception, or returns a meter of that id
     * that this map did not make, is logged (once a run) and leaves the series unregistered and
     * failed: a drain tries again, once, an add does not; an {@code Error} is rethrown. Under the
     * drain lock.
     */
    private TextSeries<K> register(TextSeries<K> s, boolean inDrain) {
        if (!s.unregistered || s.failed && (!inDrain || s.failedAt == drains)) {
            return s;
        }
        // Cleared first: the listener may set it again for this very registration's meter.
        s.unregistered = false;
        registering++;   // only the drain lock's holder writes it
        try {
            RemovalFanout.Registered registered;
            boolean[] forwarded = new boolean[1];
            try {
                registered = RemovalFanout.register(() -> FunctionCounter.builder(name, s,
                        ignored -> exported(s.current())).tags(tags.and(keyTag, s.registrationText()))
                        .register(registry), added -> forwarded[0] |= forwardEarly(s, added));
            } catch (RuntimeException e) {
                unforward(s, forwarded[0]);
                s.unregistered = true;
                fail(s, e);
                return s;
            } catch (Error e) {
                unforward(s, forwarded[0]);
                s.unregistered = true;
                throw e;
            }
            FunctionCounter meter = registered.meter();
            Meter.Id id = meter.getId();
            TextSeries<K> holder = byMeterId.get(id);
            if (holder == null || holder == s) {
                unforward(s, forwarded[0]);   // not a fold after all: s reads itself
            }
            if (!registered.made() && (holder == null || meter != holder.meter)) {
                unforward(s, forwarded[0]);
                // The registry held a meter of that id that is not ours (someone else's
                // FunctionCounter): never exported as ours, never removed by us.
                s.unregistered = true;
                fail(s, new IllegalArgumentException("a meter with the id " + id + " is already"
                        + " registered, not made by this map: it is left alone"));
                return s;
            }
            s.failureLogged = false;
            s.failed = false;
            TextSeries<K> now = s;
            if (holder != null && holder != s) {
                fold(s, holder, meter);
                now = holder;
            } else {
                FunctionCounter before = s.meter;
                s.meter = meter;
                if (before != null && !before.getId().equals(id)) {
                    byMeterId.remove(before.getId(), s);
                }
                byMeterId.put(id, s);
            }
            if (pending.remove(id)) {
                now.unregistered = true;   // removed before byMeterId had it: the next add registers
            }
            return now;
        } finally {
            if (--registering == 0) {
                pending.clear();   // not by a nested registration: the outer one looks in it after
            }
        }
    }

    /**
     * Told of a meter the registry made while {@code s} registers (holding its lock, before the
     * registration returns): if the registry's filters gave it the id of another live series and
     * {@code s} is still empty (a new text's), points {@code s} at that series at once, so that the
     * fresh meter reads the holder's total, not 0, until fold() runs. Takes no lock of ours.
     */
    private boolean forwardEarly(TextSeries<K> s, Meter added) {
        TextSeries<K> holder = byMeterId.get(added.getId());
        if (holder != null && holder != s && s.members.isEmpty() && s.drained == 0L && s.foldedInto == null) {
            s.foldedInto = holder.current();
            return true;
        }
        return false;
    }

    /**
     * Undoes forwardEarly when the registration does not end in a fold (it threw, or the meter
     * the listener saw was not this registration's): {@code s} keeps its own keys.
     */
    private static <K> void unforward(TextSeries<K> s, boolean forwarded) {
        if (forwarded) {
            s.foldedInto = null;
        }
    }

    /**
     * Moves the keys and the drained total of {@code s} into {@code holder}, the live series whose
     * id the registry gave {@code s}'s registration (its filters made their texts one id), so that
     * the meter exports their sum and leaves the registry only with the last of their keys.
     * Every amount is added before it leaves {@code s}: no reading of the id falls.
     */
    private void fold(TextSeries<K> s, TextSeries<K> holder, FunctionCounter meter) {
        MemberList<K> moved = s.members;
        MemberList<K> published = holder.members.withAll(moved);
        holder.drained += s.drained;
        holder.members = published;
        for (int i = 0; i < moved.size(); i++) {
            moved.get(i).series = holder;
        }
        s.foldedInto = holder;   // a meter made for s reads holder from now on
        texts.replace(s.text, s, holder);
        for (int i = 0; i < moved.size(); i++) {
            texts.replace(moved.get(i).text, s, holder);
        }
        live.remove(s);
        FunctionCounter old = s.meter;
        if (old != null) {
            byMeterId.remove(old.getId(), s);
        }
        if (meter != holder.meter) {   // holder's meter had been removed: this one reads holder
            holder.meter = meter;
            holder.unregistered = false;
        }
    }

    private void fail(TextSeries<K> s, RuntimeException e) {
        s.failed = true;
        s.failedAt = drains;
        if (!s.failureLogged) {
            s.failureLogged = true;
            LOG.log(System.Logger.Level.WARNING, "counter map '" + name + "': the series of the key text '"
                    + s.registrationText() + "' (tag '" + keyTag + "') could not be registered: " + e
                    + "; its amounts are counted and drained as usual, and the next drain that takes"
                    + " from one of its keys tries again", e);
        }
    }

    private double exported(TextSeries<K> s) {
        long stamp = takes.tryOptimisticRead();
        if (stamp != 0L) {
            long total = s.drained;
            MemberList<K> keys = s.members;
            for (int i = 0; i < keys.size(); i++) {
                total += map.get(keys.get(i).key);
            }
            // The map's loads must complete before the stamp is validated (validate fences too).
            VarHandle.acquireFence();
            if (takes.validate(stamp)) {
                return Unsigned.toDouble(s.raise(total));
            }
        }
        return Unsigned.toDouble(s.lastExported());
    }

    /**
     * {@inheritDoc} The wrapped map's read. Thread-safe.
     */
    @Override
    public long get(K key) {
        long value = map.get(key);
        for (Map.Entry<K, Long> e : owed) {
            if (e.getKey().equals(key)) {
                value += e.getValue();
            }
        }
        return value;
    }

    /**
     * {@inheritDoc} Thread-safe and exactly-once; blocking, one drain at a time. The key's
     * exported series is unchanged (registered again if it was removed from the registry).
     */
    @Override
    public long getAndReset(K key) {
        drainLock.lock();
        try {
            drains++;
            long stamp = takes.writeLock();
            try {
                long taken = map.getAndReset(key);
                if (taken != 0L) {
                    TextSeries.Member<K> m;
                    try {
                        m = memberOf(key, null, true);
                    } catch (RuntimeException | Error e) {
                        putBack(Map.of(key, taken));   // not accounted: back into the map, not lost
                        throw e;
                    }
                    m.series.drained += taken;
                    m.idleDrains = 0;   // the map still holds the key: so does its series
                }
                return taken;
            } finally {
                takes.unlockWrite(stamp);
            }
        } finally {
            unlockAndJoin();
        }
    }

    /**
     * {@inheritDoc} Thread-safe and exactly-once; blocking, one drain at a time. No series'
     * exported total changes; the series of keys it takes from are registered again if they were
     * removed from the registry; keys that two drains in a row took nothing from leave their
     * series, and a series without keys leaves the registry. A drain that throws (an
     * {@code Error} from a key or a registry) returns nothing and loses nothing: its amounts are
     * back in the map, or, where one could not be put back, delivered by the next drain (and read
     * by {@code get} and {@code snapshot} meanwhile). What a registry listener throws while a
     * drain removes a meter is logged, not thrown.
     */
    @Override
    public Map<K, Long> drain() {
        drainLock.lock();
        try {
            drains++;
            if (!stranded.isEmpty()) {
                removeStranded();
            }
            Map<K, Long> taken;
            List<FunctionCounter> leftRegistry = new ArrayList<>();
            long stamp = takes.writeLock();
            try {
                Map<K, Long> fromMap = map.drain();
                taken = fromMap;
                Map<TextSeries.Member<K>, Long> accounted = new HashMap<>();
                int owedTaken = 0;
                try {
                    if (!owed.isEmpty()) {
                        taken = new HashMap<>(fromMap);
                        for (Map.Entry<K, Long> e : owed) {
                            taken.merge(e.getKey(), e.getValue(), Long::sum);
                            owedTaken++;
                        }
                    }
                    for (Map.Entry<K, Long> e : taken.entrySet()) {
                        TextSeries.Member<K> m = memberOf(e.getKey(), null, true);
                        // First: it may allocate, and throw.
                        accounted.put(m, e.getValue());
                        m.series.drained += e.getValue();
                        m.idleDrains = 0;
                    }
                    // Inside the write lock too: a scrape that read a series' keys before one
                    // left, and that key after an add that raced its leaving, fails validation
                    // and reports the last exported total; validated, it would export that add,
                    // which the key's next series exports again (review ml: 20 for 15 added).
                    for (TextSeries<K> s : live) {
                        removeIdle(s, taken, leftRegistry);
                    }
                } catch (RuntimeException | Error e) {
                    // An Error after the map's drain committed (a series' registration rethrows
                    // one), so the caller gets no result: every amount goes back into the map,
                    // and out of the series that counts it now (a fold moves drained amounts with
                    // the keys), under the write lock, so that no scrape sees a total move and the
                    // next drain returns it.
                    accounted.forEach((member, amount) -> member.series.drained -= amount);
                    putBack(fromMap);   // what came from owed stays there
                    throw e;
                }
                for (int i = 0; i < owedTaken; i++) {
                    owed.poll();   // delivered in this result: merged in owed's order, the first ones
                }
            } finally {
                takes.unlockWrite(stamp);
                removeFromRegistry(leftRegistry);
            }
            return taken;
        } finally {
            unlockAndJoin();
        }
    }

    /**
     * Gives what the wrapped map's drain returned back to it, each amount on its own, after a drain
     * that threw: one that cannot be added back (its key's {@code hashCode} throws, an allocation
     * fails) goes to {@link #owed}, which the next drain delivers and {@code get} and
     * {@code snapshot} read. Under the drain lock.
     */
    private void putBack(Map<K, Long> fromMap) {
        for (Map.Entry<K, Long> e : fromMap.entrySet()) {
            try {
                map.add(e.getKey(), e.getValue());
            } catch (RuntimeException | Error failed) {
                try {
                    owed.add(new AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue()));
                } catch (RuntimeException | Error lost) {
                    warn("a failed drain could not give back " + e.getValue() + " of a key: lost", lost);
                }
            }
        }
    }

    /**
     * Takes the idle keys out of the series; a series left without keys leaves the map, and its
     * meter goes into {@code leftRegistry}, for the drain to remove from the registry once it has
     * let go of the write lock. Under the write lock of takes.
     *
     * <p>Until the series' new key list is published, a throw (a key's {@code hashCode}, the
     * wrapped map's {@code get}, an allocation) unmarks its keys and leaves the series as it was.
     * After it, nothing is undone: what is left behind only points at members that are marked
     * removed and no longer listed, or at a series marked left, and memberOf replaces both, so
     * no key is ever listed twice.
     */
    private void removeIdle(TextSeries<K> s, Map<K, Long> taken, List<FunctionCounter> leftRegistry) {
        MemberList<K> all = s.members;
        int leaving = 0;
        MemberList<K> kept = all;
        Set<String> keptTexts = null;
        FunctionCounter meter = s.meter;
        try {
            for (int i = 0; i < all.size(); i++) {
                TextSeries.Member<K> m = all.get(i);
                if (!taken.containsKey(m.key) && ++m.idleDrains >= 2) {
                    // Marked before the key is read, as an add reads the mark after adding:
                    // either this read sees the add, and the key stays, or the add sees the mark
                    // and joins the key again once this drain is done (both volatile accesses).
                    m.removed = true;
                    if (map.get(m.key) == 0L) {
                        leaving++;
                    } else {
                        m.removed = false;
                    }
                }
            }
            if (leaving > 0) {
                kept = all.filter(m -> !m.removed);
                keptTexts = new HashSet<>();
                for (int i = 0; i < kept.size(); i++) {
                    keptTexts.add(kept.get(i).text);
                }
            }
            if (kept.isEmpty() && meter != null && !s.unregistered) {
                leftRegistry.add(meter);
            }
        } catch (RuntimeException | Error e) {
            for (int i = 0; i < all.size(); i++) {
                all.get(i).removed = false;   // only this drain marks listed keys
            }
            throw e;
        }
        s.members = kept;   // first: no hashing of keys, nothing to undo
        if (kept.isEmpty()) {
            s.left = true;
            live.remove(s);
            texts.remove(s.text, s);
            if (meter != null) {
                byMeterId.remove(meter.getId(), s);   // first: the listener then ignores our removal
                s.unregistered = true;
            }
        }
        if (leaving > 0) {
            // Hashes keys, which may throw: see the method's comment.
            for (int i = 0; i < all.size(); i++) {
                TextSeries.Member<K> m = all.get(i);
                if (m.removed) {
                    members.remove(m.key, m);
                    if (!keptTexts.contains(m.text)) {
                        texts.remove(m.text, s);   // a text no key of the series has any more
                    }
                }
            }
        }
    }

    /**
     * Removes from the registry the meters of the series a drain took out of the map. What a
     * registry listener throws, even an {@code Error}, is logged, not thrown: the drain's result
     * is already taken, and only the caller can have it. A meter that stays in the registry (its
     * removal threw before the registry let go of it) is tried again by the next drain, before
     * that drain registers anything.
     */
    private void removeFromRegistry(List<FunctionCounter> leftRegistry) {
        for (FunctionCounter meter : leftRegistry) {
            try {
                registry.remove(meter);
            } catch (RuntimeException | Error e) {
                try {
                    if (holds(meter)) {
                        stranded.add(meter);
                    }
                } catch (RuntimeException | Error again) {
                    // nothing more to be done here
                }
                warn("removing the meter " + meter.getId() + " of a series without keys threw", e);
            }
        }
    }

    /**
     * Removes the meters an earlier drain could not (see removeFromRegistry), each only while the
     * registry holds that very meter: a meter of the same id that someone else registered since
     * is theirs. Under the drain lock.
     */
    private void removeStranded() {
        for (FunctionCounter meter : stranded) {
            try {
                if (holds(meter)) {
                    registry.remove(meter);   // by id: the registry's meter of that id is ours
                }
                stranded.remove(meter);
            } catch (RuntimeException | Error e) {
                if (!holds(meter)) {
                    stranded.remove(meter);   // a listener threw after the registry let go of it
                }
            }
        }
    }

    /** Whether the registry holds this very meter (meters compare by id, so not contains()). */
    private boolean holds(Meter meter) {
        for (Meter m : registry.getMeters()) {
            if (m == meter) {
                return true;
            }
        }
        return false;
    }

    /** Logs a warning about this map; never throws (it runs where a throw would cost a result). */
    private void warn(String what, Throwable cause) {
        try {
            LOG.log(System.Logger.Level.WARNING, "counter map '" + name + "': " + what, cause);
        } catch (RuntimeException | Error e) {
            // the logger failed too: nothing left to tell it with
        }
    }

    /** {@inheritDoc} The wrapped map's. Thread-safe. */
    @Override
    public Map<K, Long> snapshot() {
        Map<K, Long> snapshot = map.snapshot();
        if (owed.isEmpty()) {
            return snapshot;
        }
        Map<K, Long> withOwed = new HashMap<>(snapshot);
        for (Map.Entry<K, Long> e : owed) {
            withOwed.merge(e.getKey(), e.getValue(), Long::sum);
        }
        withOwed.values().removeIf(v -> v == 0L);
        return withOwed;
    }

    /**
     * {@inheritDoc} Its adds refuse a negative amount, and a key without a text, as
     * {@link #add(Object, long)} does, before anything is counted, and register the key's series
     * when they find it missing. Thread-safe.
     *
     * @throws IllegalArgumentException if the key's {@code toString()} throws or returns
     *     {@code null}
     */
    @Override
    public Counter counter(K key) {
        TextSeries.Member<K> known = members.get(key);
        String text = known == null || known.removed ? textOf(key) : null;
        Counter handle = map.counter(key);
        TextSeries.Member<K> first = discover(key, text);
        return new Counter() {
            private volatile TextSeries.Member<K> seen = first;

            @Override
            public void add(long delta) {
                requireNotNegative(key, delta);
                TextSeries.Member<K> m = seen;
                String text = m == null || m.removed ? textOf(key) : null;   // before the add
                handle.add(delta);
                if (m == null || m.removed || m.series.unregistered && !m.series.failed) {
                    seen = discover(key, text);
                }
            }

            @Override
            public long get() {
                return MonotoneCounterMap.this.get(key);
            }

            @Override
            public long getAndReset() {
                return MonotoneCounterMap.this.getAndReset(key);
            }
        };
    }

    /** {@inheritDoc} The wrapped map's. Thread-safe. */
    @Override
    public int size() {
        return map.size();
    }

    /** The number of series the map holds now (one per meter id); for tests. */
    int seriesCount() {
        return live.size();
    }

    private void requireNotNegative(K key, long delta) {
        if (delta < 0L) {
            throw new IllegalArgumentException("counter map '" + name + "' is exported as totals that"
                    + " must never fall: add(" + exportText(key) + ", " + delta + ") refused, nothing added");
        }
    }

    /** The key's text, for an add; refuses a key without one, before anything is counted. */
    private String textOf(K key) {
        String text;
        try {
            text = String.valueOf(key);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(noText(key, "threw " + e), e);
        }
        if (text == null) {
            throw new IllegalArgumentException(noText(key, "returned null"));
        }
        return text;
    }

    private String noText(K key, String what) {
        return "counter map '" + name + "' exports each key under its text (tag '" + keyTag + "'), and the"
                + " toString() of this key (" + key.getClass().getName() + ") " + what + ": refused,"
                + " nothing added";
    }

    /** The key's text, or {@link #NO_TEXT} if it has none; for a key the wrapped map holds already. */
    private String exportText(K key) {
        try {
            String text = String.valueOf(key);
            if (text != null) {
                return text;
            }
        } catch (RuntimeException e) {
            // falls through to NO_TEXT
        }
        if (!noTextLogged) {
            noTextLogged = true;
            LOG.log(System.Logger.Level.WARNING, "counter map '" + name + "': a key ("
                    + key.getClass().getName() + ") whose toString() throws or returns null is exported"
                    + " under the text '" + NO_TEXT + "' (logged once per map)");
        }
        return NO_TEXT;
    }

    /** Returns the meter name and the wrapped map. */
    @Override
    public String toString() {
        return name + " over " + map;
    }
}
