package dev.tally.counter.redis;

import java.util.List;

/**
 * What became of a counter's adds and drains when a call failed, in words: the second half of the
 * message of {@link CounterUnavailableException} and {@link CounterRejectedException}, so that a
 * caller knows what to re-add (nothing that may have been applied) and which drain to recover.
 */
final class Fate {

    private Fate() {
    }

    /**
     * @param notSent added here and not handed to the connection
     * @param unknown in a batch handed to the connection whose outcome is not known
     * @param undelivered drains that may have been applied and whose result was not returned
     * @param drainId the failed call's drain, or null
     * @param closing whether the counter is closing, so that nothing will be retried
     * @param refused whether the server refused a command, rather than not answering
     */
    static String of(long notSent, long unknown, List<String> undelivered, String drainId, boolean closing,
            boolean refused) {
        StringBuilder fate = new StringBuilder();
        if (closing) {
            fate.append(notSent).append(" added here was not sent and is lost with the closed counter");
            if (unknown != 0L) {
                fate.append("; ").append(unknown).append(" is in a batch that Redis may have applied "
                        + "(re-adding it could count it twice)");
            }
            if (!undelivered.isEmpty()) {
                fate.append("; the value of drains whose replies were lost may be in their records: ");
                for (int i = 0; i < undelivered.size(); i++) {
                    fate.append(i == 0 ? "" : ", ").append("getAndReset(\"").append(undelivered.get(i)).append("\")");
                }
                fate.append(" from another JVM return it, together exactly once");
            }
        } else if (refused) {
            fate.append(notSent + unknown).append(" added here is kept, and sent once the server's set-up is fixed");
            if (unknown != 0L) {
                fate.append(" (").append(unknown).append(" of it in a batch that Redis may have applied: "
                        + "it is sent again until acknowledged, and never applied twice)");
            }
        } else {
            fate.append(notSent).append(" added here is kept and will be sent when it answers");
            if (unknown != 0L) {
                fate.append("; ").append(unknown).append(" is in a batch whose outcome is not known yet: "
                        + "it is sent again until acknowledged, and never applied twice");
            }
        }
        if (drainId != null && undelivered.contains(drainId)) {
            fate.append("; drain '").append(drainId).append("' may have been applied: ");
            fate.append(closing ? "getAndReset(\"" + drainId + "\") from another JVM returns its value"
                    : "the next getAndReset of this counter returns its value, or getAndReset(\"" + drainId
                            + "\") from any JVM");
        } else if (drainId != null) {
            fate.append("; drain '").append(drainId).append("' was not sent");
        }
        return fate.toString();
    }
}
