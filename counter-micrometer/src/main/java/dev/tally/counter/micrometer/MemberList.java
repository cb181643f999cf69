package dev.tally.counter.micrometer;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * The keys of a series as scrapes read them, without a lock: an immutable view of the first
 * {@code size} slots of an array that the lists appended one from another share. Appending to the
 * newest list of an array fills its next free slot, so joining n keys to one series costs
 * amortized constant time a key; a copy per join, as {@code List.copyOf} made, cost n^2/2 slot
 * copies (80,000 keys that a filter folds into one id took 17 s to join). Appending to an older
 * list, or to a full array, copies the list's own slots only. Built under the map's drain lock;
 * a list is published through {@link TextSeries#members}, a volatile field, which orders the
 * writes of its slots before any read through it.
 *
 * @param <K> the key type
 */
final class MemberList<K> {

    /** An array and how many of its slots the lists made from it use; written under the drain lock. */
    private static final class Slots {

        final Object[] array;
        int used;

        Slots(Object[] array, int used) {
            this.array = array;
            this.used = used;
        }
    }

    private static final MemberList<?> EMPTY = new MemberList<>(new Slots(new Object[0], 0), 0);

    private final Slots slots;
    private final int size;

    private MemberList(Slots slots, int size) {
        this.slots = slots;
        this.size = size;
    }

    @SuppressWarnings("unchecked")
    static <K> MemberList<K> empty() {
        return (MemberList<K>) EMPTY;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    @SuppressWarnings("unchecked")
    TextSeries.Member<K> get(int index) {
        Objects.checkIndex(index, size);
        return (TextSeries.Member<K>) slots.array[index];
    }

    /**
     * This list and {@code member} after it. Allocates before it claims a slot; a slot claimed by
     * a list that is never published is only left unused (a later append copies instead).
     */
    MemberList<K> with(TextSeries.Member<K> member) {
        Slots s = slots;
        if (s.used == size && size < s.array.length) {
            MemberList<K> longer = new MemberList<>(s, size + 1);
            s.array[size] = member;   // no list of this array reads the slot: each is shorter
            s.used = size + 1;
            return longer;
        }
        Object[] grown = new Object[(int) Math.min(Integer.MAX_VALUE - 8, Math.max(4L, 2L * size))];
        System.arraycopy(s.array, 0, grown, 0, size);   // this list's slots only, not a newer list's
        grown[size] = member;
        return new MemberList<>(new Slots(grown, size + 1), size + 1);
    }

    /** This list and the members of {@code more} after it; amortized constant time a member. */
    MemberList<K> withAll(MemberList<K> more) {
        MemberList<K> joined = this;
        for (int i = 0; i < more.size; i++) {
            joined = joined.with(more.get(i));
        }
        return joined;
    }

    /**
     * The members that {@code keep} accepts, in their order, in an array of their own sized to
     * them (a series that shrank does not keep its largest array). {@code keep} must answer the
     * same for a member both times it is asked.
     */
    MemberList<K> filter(Predicate<TextSeries.Member<K>> keep) {
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (keep.test(get(i))) {
                n++;
            }
        }
        if (n == 0) {
            return empty();
        }
        Object[] kept = new Object[n];
        int at = 0;
        for (int i = 0; i < size && at < n; i++) {
            TextSeries.Member<K> m = get(i);
            if (keep.test(m)) {
                kept[at++] = m;
            }
        }
        return new MemberList<>(new Slots(kept, n), n);
    }
}
