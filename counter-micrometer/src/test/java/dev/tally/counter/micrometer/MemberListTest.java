package dev.tally.counter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The lists of a series' keys share arrays: an append never changes a list already made, wherever
 * it appends from. The control for the shared slots is the append to an older list, which would
 * overwrite the newer list's slot if it wrote in place.
 */
final class MemberListTest {

    private static TextSeries.Member<String> member(String key) {
        return new TextSeries.Member<>(key, key, null);
    }

    private static List<String> keys(MemberList<String> list) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            keys.add(list.get(i).key);
        }
        return keys;
    }

    @Test
    void appendsKeepEveryEarlierListAsItWas() {
        List<MemberList<String>> made = new ArrayList<>();
        MemberList<String> list = MemberList.empty();
        made.add(list);
        for (int i = 0; i < 1_000; i++) {
            list = list.with(member("k" + i));
            made.add(list);
        }
        for (int n = 0; n < made.size(); n++) {
            assertThat(made.get(n).size()).isEqualTo(n);
            assertThat(made.get(n).isEmpty()).isEqualTo(n == 0);
            if (n > 0) {
                assertThat(made.get(n).get(n - 1).key).isEqualTo("k" + (n - 1));
            }
        }
        assertThatThrownBy(() -> made.get(3).get(3)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void anAppendToAnOlderListCopiesInsteadOfOverwritingTheNewerOnesSlot() {
        MemberList<String> ab = MemberList.<String>empty().with(member("a")).with(member("b"));
        MemberList<String> abc = ab.with(member("c"));   // fills the shared array's third slot
        MemberList<String> abx = ab.with(member("x"));   // the same slot: must copy
        assertThat(keys(abc)).containsExactly("a", "b", "c");
        assertThat(keys(abx)).containsExactly("a", "b", "x");
        assertThat(keys(abx.with(member("y")))).containsExactly("a", "b", "x", "y");
        assertThat(keys(abc.with(member("d")))).containsExactly("a", "b", "c", "d");
        assertThat(keys(abc)).containsExactly("a", "b", "c");
    }

    @Test
    void withAllAndFilterKeepTheOrderAndLeaveTheirSourcesAlone() {
        MemberList<String> left = MemberList.empty();
        MemberList<String> right = MemberList.empty();
        for (int i = 0; i < 10; i++) {
            left = left.with(member("l" + i));
            right = right.with(member("r" + i));
        }
        MemberList<String> joined = left.withAll(right);
        assertThat(joined.size()).isEqualTo(20);
        assertThat(keys(joined).subList(8, 12)).containsExactly("l8", "l9", "r0", "r1");
        MemberList<String> odd = joined.filter(m -> m.key.endsWith("1") || m.key.endsWith("3"));
        assertThat(keys(odd)).containsExactly("l1", "l3", "r1", "r3");
        assertThat(keys(left)).hasSize(10).endsWith("l9");
        assertThat(keys(odd.with(member("z")))).containsExactly("l1", "l3", "r1", "r3", "z");
        assertThat(joined.filter(m -> false).isEmpty()).isTrue();
        assertThat(keys(joined)).hasSize(20);
    }

    /**
     * Random appends (mostly to the newest list, a quarter to an older one), joins of any two
     * lists, a list joined to itself, and filters: every list still holds what it held when made
     * (review ml ran 200 seeds; 20 here, for the build's time).
     */
    @Test
    void randomOperationsNeverChangeAListAlreadyMade() {
        for (long seed = 0; seed < 20; seed++) {
            Random random = new Random(seed);
            List<MemberList<String>> made = new ArrayList<>();
            List<List<String>> asMade = new ArrayList<>();
            made.add(MemberList.empty());
            asMade.add(List.of());
            int next = 0;
            for (int op = 0; op < 400; op++) {
                int at = random.nextInt(4) == 0 ? random.nextInt(made.size()) : made.size() - 1;
                MemberList<String> from = made.get(at);
                MemberList<String> list = switch (random.nextInt(10)) {
                    case 0 -> from.filter(m -> (m.key.hashCode() & 3) != 0);
                    case 1 -> from.withAll(made.get(random.nextInt(made.size())));
                    case 2 -> from.withAll(from);
                    default -> from.with(member("k" + next++));
                };
                made.add(list);
                asMade.add(keys(list));
            }
            for (int i = 0; i < made.size(); i++) {
                assertThat(keys(made.get(i))).as("seed %d, list %d", seed, i).isEqualTo(asMade.get(i));
            }
        }
    }
}
