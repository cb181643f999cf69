package dev.tally.counter.redis;

import java.util.Objects;

/**
 * The keys of one counter and the checks on the strings they are made of. Every key of a counter
 * carries its name as a hash tag, so that they share one cluster slot, as a script requires; a
 * brace in a name would end the tag early, and the key prefix comes before the tag so that ACL key
 * patterns and tenants can tell counters apart by it.
 */
final class Keys {

    /** The longest name, drain id or key prefix accepted. */
    static final int MAX_LENGTH = 200;

    final String value;
    final String seq;
    /** The client's id: the owner of the drain records it writes (see {@link Scripts#DRAIN}). */
    final String client;
    /** The number of the client's last drain that ran: a late copy of an earlier one takes nothing. */
    final String drainNumber;
    private final String drainPrefix;

    Keys(String prefix, String name, String clientId) {
        String base = prefix + "{" + name + "}:";
        this.value = base + "value";
        this.seq = base + "client:" + clientId;
        this.client = clientId;
        this.drainNumber = seq + ":drains";
        this.drainPrefix = base + "drain:";
    }

    /** The key that holds the result of the drain {@code id}. */
    String drain(String id) {
        return drainPrefix + id;
    }

    /**
     * Returns {@code s} if it can be part of a key: not empty, at most {@link #MAX_LENGTH}
     * characters, no brace and no control character.
     *
     * @throws NullPointerException if {@code s} is null, naming {@code what}
     * @throws IllegalArgumentException naming {@code what} and the value, otherwise
     */
    static String check(String s, String what) {
        Objects.requireNonNull(s, what);
        if (s.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        String problem = problem(s);
        if (problem != null) {
            throw new IllegalArgumentException(what + " " + problem + ": \"" + printable(s) + "\"");
        }
        return s;
    }

    /** As {@link #check}, but an empty prefix is allowed: the keys then start with the brace. */
    static String checkPrefix(String prefix) {
        Objects.requireNonNull(prefix, "keyPrefix");
        return prefix.isEmpty() ? prefix : check(prefix, "keyPrefix");
    }

    private static String problem(String s) {
        if (s.length() > MAX_LENGTH) {
            return "is longer than " + MAX_LENGTH + " characters (" + s.length() + ")";
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{' || c == '}') {
                return "must not contain '" + c + "' (it would split the counter's keys across "
                        + "cluster slots)";
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;   // a pair: one character beyond the BMP
                continue;
            }
            if (Character.isSurrogate(c)) {
                return "must not contain a lone surrogate (U+" + String.format("%04X", (int) c) + " at " + i
                        + "; UTF-8 would turn it into '?', the same key as other names)";
            }
            if (Character.isISOControl(c)) {
                return "must not contain control characters (U+" + String.format("%04X", (int) c)
                        + " at " + i + ")";
            }
        }
        return null;
    }

    /** {@code s} with control characters escaped and cut to a readable length, for messages. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 60; i++) {
            char c = s.charAt(i);
            b.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return s.length() > 60 ? b + "..." : b.toString();
    }
}
