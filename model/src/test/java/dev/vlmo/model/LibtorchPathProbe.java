package dev.vlmo.model;

/**
 * Run in a fresh JVM by {@link LibtorchPathErrorTest}: starts the PyTorch engine through {@link
 * Engines} and prints the message of the failure, if any.
 */
public final class LibtorchPathProbe {

    private LibtorchPathProbe() {}

    /**
     * Starts the engine.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        try {
            Engines.get("PyTorch");
            System.out.println("STARTED");
        } catch (RuntimeException e) {
            System.out.println("FAILED " + e.getMessage());
        }
    }
}
