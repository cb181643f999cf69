package dev.tally.counter.redis;

import io.lettuce.core.RedisURI;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy in front of a server whose client-to-server direction can be held (bytes buffered,
 * not forwarded), then released (forwarded late: a late copy of a command) or dropped (the
 * commands never reach the server, the connections are cut and the client reconnects).
 */
final class HoldingProxy implements AutoCloseable {

    private final ServerSocket listen;
    private final int target;
    private final List<Pipe> pipes = new CopyOnWriteArrayList<>();
    private final List<Pipe> detachedPipes = new CopyOnWriteArrayList<>();
    private volatile boolean hold;

    HoldingProxy(int targetPort) throws IOException {
        this.target = targetPort;
        this.listen = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    RedisURI uri() {
        return RedisURI.create("redis://127.0.0.1:" + listen.getLocalPort());
    }

    private volatile String holdMarker;

    /** Starts holding at the first chunk from a client that contains {@code marker} (that chunk included). */
    synchronized void holdWhenSeen(String marker) {
        holdMarker = marker;
    }

    synchronized void hold() {
        hold = true;
    }

    /** Forwards what was held, late, and passes everything again. */
    synchronized void release() throws IOException {
        hold = false;
        holdMarker = null;
        for (Pipe p : pipes) {
            p.flushHeld();
        }
    }

    /**
     * Cuts the client side of every connection (the client reconnects, through new, passing
     * connections) but keeps the server side and what it held, for {@link #releaseDetached()}.
     */
    synchronized void detach() {
        hold = false;
        for (Pipe p : pipes) {
            p.detached = true;
            try {
                p.client.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        detachedPipes.addAll(pipes);
        pipes.clear();
    }

    /** Delivers, late, what the detached connections held, then closes them. */
    synchronized void releaseDetached() throws IOException {
        for (Pipe p : detachedPipes) {
            p.flushHeld();
        }
    }

    /** Discards what was held and cuts every connection: the held commands never reach the server. */
    synchronized void drop() {
        hold = false;
        for (Pipe p : pipes) {
            p.cut();
        }
        pipes.clear();
    }

    private void accept() {
        while (!listen.isClosed()) {
            try {
                Socket client = listen.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                Pipe p = new Pipe(client, server);
                pipes.add(p);
                p.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        listen.close();
        for (Pipe p : detachedPipes) {
            p.cut();
        }
        for (Pipe p : pipes) {
            p.cut();
        }
    }

    private final class Pipe {
        final Socket client;
        final Socket server;
        final ByteArrayOutputStream held = new ByteArrayOutputStream();
        volatile boolean detached;

        Pipe(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void start() throws IOException {
            InputStream fromClient = client.getInputStream();
            OutputStream toServer = server.getOutputStream();
            InputStream fromServer = server.getInputStream();
            OutputStream toClient = client.getOutputStream();
            Thread up = new Thread(() -> {
                byte[] buf = new byte[8192];
                try {
                    int n;
                    while ((n = fromClient.read(buf)) > 0) {
                        synchronized (HoldingProxy.this) {
                            String marker = holdMarker;
                            if (marker != null && new String(buf, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1)
                                    .contains(marker)) {
                                hold = true;
                                holdMarker = null;
                            }
                            if (hold) {
                                held.write(buf, 0, n);
                            } else {
                                toServer.write(buf, 0, n);
                                toServer.flush();
                            }
                        }
                    }
                } catch (IOException e) {
                    // cut
                }
                if (!detached) {
                    cut();
                }
            }, "proxy-up");
            Thread down = new Thread(() -> {
                byte[] buf = new byte[8192];
                try {
                    int n;
                    while ((n = fromServer.read(buf)) > 0) {
                        toClient.write(buf, 0, n);
                        toClient.flush();
                    }
                } catch (IOException e) {
                    // cut
                }
                if (!detached) {
                    cut();
                }
            }, "proxy-down");
            up.setDaemon(true);
            down.setDaemon(true);
            up.start();
            down.start();
        }

        void flushHeld() throws IOException {
            if (held.size() > 0) {
                server.getOutputStream().write(held.toByteArray());
                server.getOutputStream().flush();
                held.reset();
            }
        }

        void cut() {
            try {
                client.close();
            } catch (IOException ignored) {
                // closing
            }
            try {
                server.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }
}
