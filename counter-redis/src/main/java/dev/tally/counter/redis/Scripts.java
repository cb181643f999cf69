package dev.tally.counter.redis;

import io.lettuce.core.codec.Base16;
import java.nio.charset.StandardCharsets;

/**
 * The two Lua scripts that change a counter's keys on the server, so that each change is atomic and
 * can be retried. Every number crosses the script boundary as a decimal string: Lua numbers are
 * doubles and would round a {@code long} above 2<sup>53</sup>.
 */
final class Scripts {

    /**
     * Applies one batch {@code (client, seq, delta)} unless this client's {@code seq} was already
     * applied, and returns the value afterwards. KEYS: value, the client's last applied seq.
     * ARGV: seq, seconds to remember it, delta, then the parts to add instead if {@code INCRBY}
     * overflows (their sum wraps to delta; see {@link #wrapParts(long)}). Seqs are positive
     * decimals without leading zeros, so the longer string is the larger number.
     */
    static final String ADD = """
            local last = redis.call('GET', KEYS[2])
            if last and (#last > #ARGV[1] or (#last == #ARGV[1] and last >= ARGV[1])) then
              return redis.call('GET', KEYS[1]) or '0'
            end
            local r = redis.pcall('INCRBY', KEYS[1], ARGV[3])
            if type(r) == 'table' and r.err then
              if not string.find(r.err, 'overflow', 1, true) then return r end
              for i = 4, #ARGV do redis.call('INCRBY', KEYS[1], ARGV[i]) end
            end
            redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
            return redis.call('GET', KEYS[1])
            """;

    /**
     * Takes the value and sets it to zero, once per drain id: a retried drain returns the stored
     * result of the first. KEYS: value, the drain's result. ARGV: seconds to remember the result.
     */
    static final String DRAIN = """
            local done = redis.call('GET', KEYS[2])
            if done then return done end
            local v = redis.call('GET', KEYS[1]) or '0'
            redis.call('SET', KEYS[1], '0')
            redis.call('SET', KEYS[2], v, 'EX', ARGV[1])
            return v
            """;

    static final String ADD_SHA = sha1(ADD);
    static final String DRAIN_SHA = sha1(DRAIN);

    private Scripts() {
    }

    /**
     * Returns amounts whose sum, added one by one, takes the value where {@code value + delta}
     * wraps to, without any single step overflowing. Redis refuses an {@code INCRBY} that would
     * overflow, and that happens only when value and delta have the same sign: for a positive
     * overflow the steps are -2<sup>63</sup> then {@code delta - 2^63}; for a negative one
     * 2<sup>63</sup>-1, 1, then {@code delta + 2^63}.
     */
    static String[] wrapParts(long delta) {
        if (delta >= 0) {
            return new String[] {Long.toString(Long.MIN_VALUE), Long.toString(delta + Long.MIN_VALUE)};
        }
        return new String[] {Long.toString(Long.MAX_VALUE), "1", Long.toString(delta + Long.MAX_VALUE + 1)};
    }

    private static String sha1(String script) {
        return Base16.digest(script.getBytes(StandardCharsets.UTF_8));
    }
}
