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
     * applied, and returns the value afterwards. KEYS: value, the client's last applied seq, and
     * optionally a drain's record whose result this batch puts back into the value (the record is
     * then emptied, in the same step, so that the result is counted once; if the record is gone,
     * emptied or owned by another client, which recovered it, the batch adds nothing). ARGV: seq, seconds to
     * remember it, seconds to remember the emptied record, delta, then the parts to add instead if
     * {@code INCRBY} overflows (their sum wraps to delta; see {@link #wrapParts(long)}). Seqs are
     * positive decimals without leading zeros, so the longer string is the larger number.
     */
    static final String ADD = """
            local last = redis.call('GET', KEYS[2])
            if last and (#last > #ARGV[1] or (#last == #ARGV[1] and last >= ARGV[1])) then
              redis.call('SET', KEYS[2], last, 'EX', ARGV[2])
              return redis.call('GET', KEYS[1]) or '0'
            end
            local apply = true
            if KEYS[3] then
              local record = redis.call('GET', KEYS[3])
              local owner = record and string.match(record, '^([^|]*)|')
              apply = record and record ~= '' and (not owner or owner == ''
                  or owner == string.match(KEYS[2], ':client:([^:]*)$'))
            end
            if apply then
              local r = redis.pcall('INCRBY', KEYS[1], ARGV[4])
              if type(r) == 'table' and r.err then
                if not string.find(r.err, 'overflow', 1, true) then return r end
                for i = 5, #ARGV do redis.call('INCRBY', KEYS[1], ARGV[i]) end
              end
            end
            redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
            if KEYS[3] and apply then redis.call('SET', KEYS[3], '', 'EX', ARGV[3]) end
            return redis.call('GET', KEYS[1])
            """;

    /**
     * Takes the value and sets it to zero, once per drain id, and returns {@code "+"} and the
     * result; a retried drain takes nothing and returns {@code "="} and the stored result of the
     * first. A result is one or more decimals separated by spaces, which the caller sums as
     * {@code long}s (Lua numbers are doubles): the drain's own take and the results of the earlier
     * drains it absorbs. Absorbing an earlier drain, whose reply this client never had, moves its
     * result into this one and leaves its record empty, so that a late copy of it takes nothing.
     *
     * <p>A record is {@code owner|creator|result}: the client that may still deliver it, and the
     * one that ran the drain (a record without {@code |}, written before records named their
     * owner, is anyone's). A client absorbs, and deletes, only records it owns; an emptied record
     * is left to expire, a fence against a late copy of its drain. A replay by a client that does
     * not own the record: if the client says it is the drain's origin ({@code ARGV[5]} is
     * {@code "1"}: it started the drain, and this is a retry or a late copy), it gets nothing,
     * {@code "-"} and the owner's id, as someone else has delivered or will deliver that result; otherwise (a
     * recovery by id from another client) it takes the record over and gets the result, but only
     * from the client that ran the drain: a record taken over once is not taken over again. So a
     * drain recovered from another JVM while its own JVM lives is counted once.
     *
     * <p>KEYS: value, this drain's record, the {@code ARGV[2]} records to absorb, then records
     * whose results were delivered, to delete, and last the key of the number of the client's last
     * drain that ran. ARGV: seconds to remember a record, the number to
     * absorb, {@code "1"} to take the value or {@code "0"} to only absorb, the client's id,
     * {@code "1"} if the client is the drain's origin, this drain's number (one per call; a
     * drain numbered no higher than the last that ran is a late copy and takes nothing), seconds
     * to remember that number, then for each record to absorb {@code "1"}
     * if the client started that drain or {@code "0"} if it claimed it (a recovery that threw):
     * a claimed record is absorbed from the client that ran it, as a recovery would take it over.
     */
    static final String DRAIN = """
            local me = ARGV[4]
            local origin = ARGV[5] == '1'
            local function parse(record)
              local owner, creator, result = string.match(record, '^([^|]*)|([^|]*)|(.*)$')
              if owner then return owner, creator, result end
              if record == '' then return nil end
              return '', '', record
            end
            local function mine(owner)
              return owner == me or owner == ''
            end
            local done = redis.call('GET', KEYS[2])
            if done then
              local owner, creator, result = parse(done)
              if owner == nil then
                redis.call('SET', KEYS[2], done, 'KEEPTTL')
                return '='
              end
              if owner ~= me then
                if origin or owner ~= creator then
                  redis.call('SET', KEYS[2], done, 'KEEPTTL')
                  return '-' .. owner
                end
                done = me .. '|' .. creator .. '|' .. result
              end
              redis.call('SET', KEYS[2], done, 'KEEPTTL')
              return '=' .. result
            end
            local number = KEYS[#KEYS]
            local last = redis.call('GET', number)
            if last and tonumber(last) >= tonumber(ARGV[6]) then
              -- A late copy of a drain older than one that ran: its call is over, and what it
              -- would take now is no one's to return.
              redis.call('SET', KEYS[2], '', 'EX', ARGV[1])
              return '='
            end
            redis.call('SET', number, ARGV[6], 'EX', ARGV[7])
            local absorb = tonumber(ARGV[2])
            local parts = {}
            for i = 3, 2 + absorb do
              local earlier = redis.call('GET', KEYS[i])
              local owner, creator, result = nil, nil, nil
              if earlier then owner, creator, result = parse(earlier) end
              local claim = ARGV[5 + i] == '0'
              if not earlier or owner == nil or mine(owner) or (claim and owner == creator) then
                if result and result ~= '' then parts[#parts + 1] = result end
                redis.call('SET', KEYS[i], '', 'EX', ARGV[1])
              end
            end
            for i = 3 + absorb, #KEYS - 1 do
              if KEYS[i] ~= KEYS[2] then
                local record = redis.call('GET', KEYS[i])
                if record and record ~= '' and mine(parse(record)) then
                  redis.call('DEL', KEYS[i])
                end
              end
            end
            if ARGV[3] == '1' then
              parts[#parts + 1] = redis.call('GET', KEYS[1]) or '0'
              redis.call('SET', KEYS[1], '0')
            end
            local result = table.concat(parts, ' ')
            redis.call('SET', KEYS[2], me .. '|' .. me .. '|' .. result, 'EX', ARGV[1])
            return '+' .. result
            """;

    /**
     * Deletes the records of delivered drains that this client owns (an emptied one is left to
     * expire: a fence against a late copy of its drain), the client's seq key and its drain
     * number. KEYS: the seq key, the drain number's key, then the records. ARGV: the client's id.
     */
    static final String FORGET = """
            for i = 3, #KEYS do
              local record = redis.call('GET', KEYS[i])
              if record and record ~= '' then
                local owner = string.match(record, '^([^|]*)|')
                if owner == nil or owner == '' or owner == ARGV[1] then
                  redis.call('DEL', KEYS[i])
                end
              end
            end
            redis.call('DEL', KEYS[1], KEYS[2])
            return '0'
            """;

    static final String ADD_SHA = sha1(ADD);
    static final String DRAIN_SHA = sha1(DRAIN);
    static final String FORGET_SHA = sha1(FORGET);

    private Scripts() {
    }

    /** The arguments of {@link #ADD} for batch {@code seq} of {@code delta}. */
    static String[] addArgs(long seq, long delta) {
        String[] parts = wrapParts(delta);
        String[] args = new String[4 + parts.length];
        args[0] = Long.toString(seq);
        args[1] = Long.toString(RedisCounters.SEQ_MEMORY.toSeconds());
        args[2] = Long.toString(RedisCounters.DRAIN_MEMORY.toSeconds());
        args[3] = Long.toString(delta);
        System.arraycopy(parts, 0, args, 4, parts.length);
        return args;
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
