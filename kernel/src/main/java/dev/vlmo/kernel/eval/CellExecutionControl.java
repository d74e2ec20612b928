package dev.vlmo.kernel.eval;

import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import jdk.jshell.execution.DirectExecutionControl;
import jdk.jshell.spi.SPIResolutionException;

/**
 * Runs each snippet on its own thread in this JVM, keeps the snippet's value as an object (not only
 * as a string), keeps the user's exception as thrown, and stops a snippet on request.
 */
final class CellExecutionControl extends DirectExecutionControl {

    /** How long a stop waits for the snippet to react to {@link Thread#interrupt()}. */
    private static final long INTERRUPT_GRACE_MILLIS = 1_500;

    /** How long after a forced stop the caller gives up waiting for the snippet thread. */
    private static final long ABANDON_AFTER_MILLIS = 5_000;

    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Object lock = new Object();
    private volatile Thread running;
    private volatile boolean stopRequested;
    private volatile long abandonAt;
    private volatile Object lastValue;
    private volatile boolean hasLastValue;
    private volatile Throwable lastFailure;

    /** Forgets the value and failure of the previous snippet. */
    void clearLast() {
        lastValue = null;
        hasLastValue = false;
        lastFailure = null;
    }

    /** Whether the last invoked snippet produced a value (an expression or a variable). */
    boolean hasLastValue() {
        return hasLastValue;
    }

    /** The value of the last invoked snippet, possibly null. */
    Object lastValue() {
        return lastValue;
    }

    /** The exception the last snippet threw, as thrown, or null. */
    Throwable lastFailure() {
        return lastFailure;
    }

    @Override
    protected String invoke(Method doitMethod) throws Exception {
        AtomicReference<Object> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread =
                new Thread(
                        () -> {
                            try {
                                result.set(doitMethod.invoke(null));
                            } catch (Throwable t) {
                                failure.set(t);
                            }
                        },
                        "vlmo-cell-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        thread.setContextClassLoader(doitMethod.getDeclaringClass().getClassLoader());
        synchronized (lock) {
            stopRequested = false;
            abandonAt = Long.MAX_VALUE;
            running = thread;
        }
        try {
            thread.start();
            while (thread.isAlive()) {
                thread.join(50);
                if (stopRequested && System.currentTimeMillis() > abandonAt) {
                    break; // the thread ignores the stop (e.g. it sits in native code)
                }
            }
        } finally {
            synchronized (lock) {
                running = null;
            }
        }
        if (stopRequested) {
            stopRequested = false;
            throw new StoppedException();
        }
        Throwable thrown = failure.get();
        if (thrown != null) {
            if (thrown instanceof Exception e) {
                throw e;
            }
            throw (Error) thrown;
        }
        Object value = result.get();
        lastValue = value;
        hasLastValue = true;
        return shortValueString(value);
    }

    /**
     * JShell's string for a value: computed for simple values only, so that large objects (tensors,
     * tables) are not turned into strings that nothing displays.
     */
    private static String shortValueString(Object value) {
        if (value == null
                || value instanceof String
                || value instanceof Number
                || value instanceof Boolean
                || value instanceof Character
                || value instanceof Enum<?>) {
            return valueString(value);
        }
        return value.getClass().getName();
    }

    @Override
    protected String throwConvertedInvocationException(Throwable cause)
            throws RunException, InternalException {
        if (!(cause instanceof SPIResolutionException)) {
            lastFailure = cause;
        }
        return super.throwConvertedInvocationException(cause);
    }

    @Override
    protected String throwConvertedOtherException(Throwable ex)
            throws RunException, InternalException {
        lastFailure = ex;
        return super.throwConvertedOtherException(ex);
    }

    /**
     * Stops the running snippet: interrupts it, and if it has not finished after a grace period,
     * stops its thread.
     */
    @Override
    public void stop() {
        Thread thread;
        synchronized (lock) {
            thread = running;
            if (thread == null) {
                return;
            }
            stopRequested = true;
        }
        thread.interrupt();
        try {
            thread.join(INTERRUPT_GRACE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            forceStop(thread);
            abandonAt = System.currentTimeMillis() + ABANDON_AFTER_MILLIS;
        }
    }

    @SuppressWarnings({"deprecation", "removal"})
    private static void forceStop(Thread thread) {
        try {
            thread.stop();
        } catch (UnsupportedOperationException e) {
            // newer JVMs refuse Thread.stop; the snippet is abandoned after the grace period
        }
    }
}
