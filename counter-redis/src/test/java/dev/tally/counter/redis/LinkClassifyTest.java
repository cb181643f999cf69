package dev.tally.counter.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How a link sorts error replies: a redirection is transient through a cluster connection (Lettuce
 * follows them, so one that reaches us is a topology out of date) and a refusal through a plain
 * one; only the reply's first word counts, as other errors quote values and names (a counter's
 * not-a-count error quoting a value with " ASK " in it was retried through a cluster for its
 * whole staleness limit, once). No server: sorting needs no connection.
 */
final class LinkClassifyTest {

    private static ClientResources resources;
    private static RedisClient plainClient;
    private static RedisClusterClient clusterClient;

    @BeforeAll
    static void clients() {
        resources = DefaultClientResources.create();
        RedisURI nowhere = RedisURI.create("redis://127.0.0.1:1");
        plainClient = RedisClient.create(resources, nowhere);
        clusterClient = RedisClusterClient.create(resources, nowhere);
    }

    @AfterAll
    static void shutdown() {
        plainClient.shutdown();
        clusterClient.shutdown();
        resources.shutdown();
    }

    private static RedisCommandExecutionException reply(String text) {
        return new RedisCommandExecutionException(text);
    }

    @Test
    void aRedirectionIsTransientThroughAClusterAndARefusalThroughAPlainLink() {
        Link cluster = Link.to(clusterClient, Duration.ofSeconds(1));
        Link plain = Link.to(plainClient, RedisURI.create("redis://127.0.0.1:1"), Duration.ofSeconds(1));
        for (String redirection : new String[] {"MOVED 14604 127.0.0.1:7001", "ASK 14604 127.0.0.1:7001"}) {
            assertThat(cluster.classify(reply(redirection))).as("cluster: " + redirection)
                    .isEqualTo(Link.Failure.TRANSIENT);
            assertThat(plain.classify(reply(redirection))).as("plain: " + redirection)
                    .isEqualTo(Link.Failure.PERMANENT);
        }
    }

    @Test
    void anErrorThatOnlyQuotesARedirectionWordIsStillARefusal() {
        Link cluster = Link.to(clusterClient, Duration.ofSeconds(1));
        assertThat(cluster.classify(reply("WRONGTYPE tally:{c}:value holds 'not ASK a count', not a count")))
                .isEqualTo(Link.Failure.PERMANENT);
        assertThat(cluster.classify(reply("NOPERM this user has no permissions to run the 'MOVED x' command")))
                .isEqualTo(Link.Failure.PERMANENT);
        assertThat(cluster.classify(reply("LOADING Redis is loading the dataset in memory")))
                .isEqualTo(Link.Failure.TRANSIENT);
    }
}
