package dev.vlmo.kernel.display;

import java.util.Optional;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.DisplayStream;

/**
 * The notebook this JVM currently serves, if any: set when a kernel on the jjava-jupyter base
 * installs {@link VlmoDisplayExtension}, cleared when it shuts down.
 */
public final class NotebookDisplay {

    private static volatile BaseKernel kernel;

    private NotebookDisplay() {}

    /** Records the kernel whose notebook receives display output. */
    public static void attach(BaseKernel current) {
        kernel = current;
    }

    /** Forgets the kernel, if it is the one recorded. */
    public static void detach(BaseKernel current) {
        if (kernel == current) {
            kernel = null;
        }
    }

    /**
     * Shows a value in the running cell's output as the cell's last expression would be shown
     * (tables as HTML, charts and images as pictures), so that one cell can show several, one per
     * loop iteration for instance; outside a notebook it prints the value (a table as text).
     *
     * @param value what to show
     */
    public static void display(Object value) {
        BaseKernel current = kernel;
        Optional<DisplayStream> stream = activeDisplay();
        if (current != null && stream.isPresent()) {
            stream.get().display(Renderers.render(current.getRenderer(), value));
            return;
        }
        System.out.println(
                value instanceof tech.tablesaw.api.Table t
                        ? TableRendering.text(t)
                        : String.valueOf(value));
    }

    /**
     * The display stream of the cell running now; empty outside a notebook or between cells, where
     * output should go to the console instead.
     */
    public static Optional<DisplayStream> activeDisplay() {
        BaseKernel current = kernel;
        if (current == null || current.getIO() == null) {
            return Optional.empty();
        }
        DisplayStream display = current.getIO().display;
        return display != null && display.isAttached() ? Optional.of(display) : Optional.empty();
    }
}
