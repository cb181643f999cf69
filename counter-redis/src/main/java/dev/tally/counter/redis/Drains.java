package dev.tally.counter.redis;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * One counter's record of its drains in this JVM, which makes "no drain is ever lost" and
 * "records do not pile up" hold: the drains handed to the server whose result was never returned
 * ({@code undelivered}: the next drain absorbs them, or {@code close()} puts them back), and the
 * drains whose result was returned ({@code delivered}: the next drain deletes their records). Not
 * thread-safe: used under its counter's lock.
 */
final class Drains {

    private final Keys keys;
    private final List<String> undelivered = new ArrayList<>();
    private final List<String> delivered = new ArrayList<>();
    /**
     * The undelivered drains that this client claims rather than started: ids a caller passed to
     * getAndReset(String) that this client had not sent before (a recovery of another client's
     * drain, or the caller's own new id). The server lets a claim take a record over from the
     * client that ran it; a drain this client started never does.
     */
    private final Set<String> claims = new HashSet<>();
    /** The id under which close() puts back undelivered drains: one, whatever the retries. */
    private String putBackId;

    Drains(Keys keys) {
        this.keys = keys;
    }

    /** The undelivered drains that a drain under {@code id} finishes: all but itself. */
    List<String> toAbsorb(String id) {
        List<String> absorb = new ArrayList<>(undelivered);
        absorb.remove(id);
        return absorb;
    }

    /**
     * The drain script's keys: the value, the drain's record, the records it absorbs, those of
     * delivered drains, which it deletes, and the number of the client's last drain that ran.
     */
    String[] scriptKeys(String id, List<String> absorb) {
        List<String> keyList = new ArrayList<>(3 + absorb.size() + delivered.size());
        keyList.add(keys.value);
        keyList.add(keys.drain(id));
        absorb.forEach(a -> keyList.add(keys.drain(a)));
        delivered.forEach(d -> keyList.add(keys.drain(d)));
        keyList.add(keys.drainNumber);
        return keyList.toArray(String[]::new);
    }

    /**
     * Notes that the drain under {@code id} was handed to the connection: the server may apply it.
     * {@code claim}: the call claims the id (see {@link #claims}); fixed at the call's start.
     */
    void sent(String id, boolean claim) {
        if (!undelivered.contains(id)) {
            undelivered.add(id);
            if (claim) {
                claims.add(id);
            }
        }
    }

    /** Whether this client has sent a drain under {@code id} and still has it on record. */
    boolean known(String id) {
        return undelivered.contains(id) || delivered.contains(id);
    }

    /** Whether this client's pending drain under {@code id} is a claim (see {@link #claims}). */
    boolean claimed(String id) {
        return claims.contains(id);
    }

    /**
     * Notes that the drain under {@code id}, which absorbed {@code absorb}, returned its result; a
     * replay (the server had applied it before) absorbed nothing this time.
     */
    void returned(String id, List<String> absorb, boolean replay) {
        undelivered.remove(id);
        claims.remove(id);
        if (!replay) {
            undelivered.removeAll(absorb);   // their results are in this one's now
            claims.removeAll(absorb);
            delivered.clear();               // the script deleted their records
            delivered.addAll(absorb);
        }
        delivered.remove(id);
        delivered.add(id);
    }

    /** The id under which {@code close()} puts back the undelivered drains, the same at each retry. */
    String putBackId() {
        if (putBackId == null) {
            putBackId = "close-" + UUID.randomUUID();
        }
        return putBackId;
    }

    /**
     * Notes that the put-back drain absorbed {@code absorb} (their records emptied, deleted with
     * the others) and that its own result is back in the value.
     */
    void putBack(List<String> absorb) {
        undelivered.removeAll(absorb);
        claims.removeAll(absorb);
        delivered.addAll(absorb);
    }

    /** Notes that the put-back drain's result was added back to the value: nothing is undelivered. */
    void putBackApplied() {
        undelivered.clear();
        claims.clear();
        delivered.add(putBackId);
    }

    /** Whether the drain under {@code id} may have been applied without its result being returned. */
    boolean mayHaveApplied(String id) {
        return id != null && undelivered.contains(id);
    }

    boolean anyUndelivered() {
        return !undelivered.isEmpty();
    }

    /** The undelivered drains, for messages; a view. */
    List<String> undelivered() {
        return undelivered;
    }

    /** The records that {@code close()} deletes: those of delivered drains. */
    List<String> deliveredRecords() {
        List<String> records = new ArrayList<>(delivered.size());
        delivered.forEach(d -> records.add(keys.drain(d)));
        return records;
    }
}
