package dev.vlmo.model;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Run in a fresh JVM by {@link TelemetryOptOutTest}: records every http(s) URL the JVM tries to
 * open while a DJL engine starts, without letting any connection happen.
 */
public final class TelemetryProbe {

    private static final List<String> OPENED = new CopyOnWriteArrayList<>();

    private TelemetryProbe() {}

    /**
     * Starts an engine and prints the URLs that were asked for.
     *
     * @param args {@code project} to start it through {@link Engines}, {@code control} to start it
     *     through DJL directly
     */
    public static void main(String[] args) {
        URL.setURLStreamHandlerFactory(
                protocol ->
                        protocol.startsWith("http")
                                ? new URLStreamHandler() {
                                    @Override
                                    protected URLConnection openConnection(URL u) {
                                        OPENED.add(u.toString());
                                        return new Refused(u);
                                    }

                                    @Override
                                    protected URLConnection openConnection(
                                            URL u, java.net.Proxy proxy) {
                                        return openConnection(u);
                                    }
                                }
                                : null);
        try {
            if (args[0].equals("project")) {
                Engines.get("PyTorch").newBaseManager().close();
            } else {
                ai.djl.engine.Engine.getEngine("PyTorch").newBaseManager().close();
            }
        } catch (RuntimeException e) {
            System.out.println("engine failed: " + e);
        }
        System.out.println("OPENED=" + OPENED);
    }

    /** A connection that never connects. */
    private static final class Refused extends HttpURLConnection {
        Refused(URL u) {
            super(u);
        }

        @Override
        public void connect() throws IOException {
            throw new IOException("network disabled in this probe");
        }

        @Override
        public int getResponseCode() throws IOException {
            connect();
            return -1;
        }

        @Override
        public void disconnect() {}

        @Override
        public boolean usingProxy() {
            return false;
        }
    }
}
