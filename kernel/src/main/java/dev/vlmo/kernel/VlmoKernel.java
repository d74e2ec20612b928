package dev.vlmo.kernel;

import dev.vlmo.kernel.eval.CellException;
import dev.vlmo.kernel.eval.Completion;
import dev.vlmo.kernel.eval.EvalResult;
import dev.vlmo.kernel.eval.JShellEvaluator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.JupyterIO;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;
import org.dflib.jjava.jupyter.kernel.LanguageInfo;
import org.dflib.jjava.jupyter.kernel.ReplacementOptions;
import org.dflib.jjava.jupyter.kernel.comm.CommManager;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.dflib.jjava.jupyter.kernel.magic.MagicsRegistry;
import org.dflib.jjava.jupyter.kernel.util.StringStyler;
import org.dflib.jjava.jupyter.kernel.util.TextColor;

/**
 * The VLMo Jupyter kernel: Java cells evaluated by JShell in this JVM, values shown through the
 * renderers that extensions register (tables, images, charts, progress bars).
 *
 * <p>Launched by Jupyter as {@code java -cp CLASSPATH -DOPT_OUT_TRACKING=true -Dai.djl.offline=true
 * dev.vlmo.kernel.VlmoKernel CONNECTION_FILE}; see {@link KernelInstaller}.
 */
public final class VlmoKernel extends BaseKernel {

    /** The kernel's name in kernel_info replies. */
    public static final String NAME = "vlmo-java";

    /** Top frames shown for an internal error of the kernel itself. */
    private static final int INTERNAL_FRAMES_SHOWN = 6;

    private final JShellEvaluator evaluator;
    private final SessionHistory history;
    private final StringStyler styler;
    private boolean startupReported;

    private VlmoKernel(JShellEvaluator evaluator, SessionHistory history, StringStyler styler) {
        super(
                NAME,
                version(),
                new LanguageInfo.Builder("java")
                        .version(Runtime.version().toString())
                        .mimetype("text/x-java-source")
                        .fileExtension(".jshell")
                        .pygments("java")
                        .codemirror("text/x-java")
                        .build(),
                List.of(),
                history,
                new JupyterIO(StandardCharsets.UTF_8),
                new CommManager(),
                new Renderer(),
                null,
                new MagicsRegistry(),
                true,
                styler);
        this.evaluator = evaluator;
        this.history = history;
        this.styler = styler;
    }

    /**
     * Starts the kernel for the Jupyter connection file given as the only argument; the DJL
     * telemetry opt-out is set before anything else.
     */
    public static void main(String[] args) throws Exception {
        KernelJvm.applyToCurrentJvm();
        System.setProperty("java.awt.headless", "true");
        if (args.length != 1) {
            throw new IllegalArgumentException(
                    "expected one argument, the Jupyter connection file, got "
                            + args.length
                            + ": "
                            + String.join(" ", args));
        }
        Path connectionFile = Path.of(args[0]);
        if (!Files.isRegularFile(connectionFile)) {
            throw new IllegalArgumentException(
                    "the connection file does not exist: " + connectionFile.toAbsolutePath());
        }
        KernelConnectionProperties properties =
                KernelConnectionProperties.parse(Files.readString(connectionFile));
        JupyterConnection connection = new JupyterConnection(properties);
        VlmoKernel kernel = create();
        kernel.onStartup();
        kernel.becomeHandlerForConnection(connection);
        connection.connect();
        connection.waitUntilClose();
    }

    /**
     * Creates a kernel with the start-up scripts of {@link StartupScript#load()}; call {@link
     * #onStartup()} to register it and install the extensions on its class path.
     */
    public static VlmoKernel create() {
        return create(StartupScript.load());
    }

    /** Creates a kernel whose session starts with the given scripts. */
    public static VlmoKernel create(List<String> startupScripts) {
        StringStyler styler =
                new StringStyler.Builder()
                        .addPrimaryStyle(TextColor.BOLD_RESET_FG)
                        .addSecondaryStyle(TextColor.BOLD_RED_FG)
                        .addHighlightStyle(TextColor.BOLD_RESET_FG)
                        .build();
        return new VlmoKernel(JShellEvaluator.create(startupScripts), new SessionHistory(), styler);
    }

    private static String version() {
        String version = VlmoKernel.class.getPackage().getImplementationVersion();
        return version == null ? "development" : version;
    }

    /** The evaluator behind this kernel (for tests and tools that embed the kernel). */
    public JShellEvaluator evaluator() {
        return evaluator;
    }

    /** Problems of the start-up scripts; printed to the first cell's stderr too. */
    public List<String> startupProblems() {
        return evaluator.startupProblems();
    }

    @Override
    public Object evalRaw(String code) {
        if (!startupReported) {
            startupReported = true;
            startupProblems().forEach(p -> System.err.println("warning: " + p));
        }
        String magic = code.stripLeading();
        if (magic.startsWith("%%time") && (magic.length() == 6 || magic.charAt(6) == '\n')) {
            // the cell's wall time, as IPython's %%time prints it
            long start = System.nanoTime();
            try {
                return evalRaw(magic.substring(6));
            } finally {
                System.out.printf(
                        java.util.Locale.ROOT,
                        "Wall time: %.3f s%n",
                        (System.nanoTime() - start) / 1e9);
            }
        }
        if (magic.startsWith("%")) {
            String first = magic.lines().findFirst().orElse(magic);
            throw new dev.vlmo.kernel.eval.CompileException(
                    "This kernel has one magic, %%time: " + first + " is not one",
                    1,
                    List.of(
                            "This kernel runs Java (JShell) and knows one magic: %%time as the"
                                    + " first line of a cell prints the cell's wall time.",
                            "Add jars with the kernel's class path (README, kernel install)."));
        }
        EvalResult result = evaluator.eval(code);
        result.notes().forEach(System.err::println);
        if (!result.hasValue()) {
            return null;
        }
        return result.value() == null ? new DisplayData("null") : shown(result.value());
    }

    /** The cell's value as the notebook shows it ({@link Renderers#render}). */
    DisplayData shown(Object value) {
        return dev.vlmo.kernel.display.Renderers.render(getRenderer(), value);
    }

    @Override
    public DisplayData eval(String code) {
        int number = evaluator.cellCount() + 1;
        history.record(number, code, null);
        DisplayData out = super.eval(code);
        if (out != null) {
            Object text = out.getData(MIMEType.TEXT_PLAIN);
            history.record(number, code, text == null ? null : String.valueOf(text));
        }
        return out;
    }

    @Override
    public DisplayData inspect(String code, int at, boolean extraDetail) {
        List<String> docs = evaluator.documentation(code, Math.min(at, code.length()));
        if (docs.isEmpty()) {
            return null;
        }
        String text = String.join("\n\n", docs);
        DisplayData data = new DisplayData(text);
        data.putHTML("<pre>" + escapeHtml(text) + "</pre>");
        return data;
    }

    @Override
    public ReplacementOptions complete(String code, int at) {
        Completion completion = evaluator.complete(code, Math.min(at, code.length()));
        return completion.matches().isEmpty()
                ? null
                : new ReplacementOptions(
                        completion.matches(), completion.start(), completion.end());
    }

    @Override
    public String isComplete(String code) {
        return switch (evaluator.isComplete(code)) {
            case COMPLETE -> IS_COMPLETE_YES;
            case INVALID -> IS_COMPLETE_BAD;
            case INCOMPLETE -> nextIndent(code);
        };
    }

    /**
     * The indentation for the next line of unfinished code: the last line's, deeper after a brace.
     */
    static String nextIndent(String code) {
        String last = code.substring(code.lastIndexOf('\n') + 1);
        String indent = last.substring(0, last.length() - last.stripLeading().length());
        String trimmed = last.strip();
        return trimmed.endsWith("{") || trimmed.endsWith("(") ? indent + "    " : indent;
    }

    @Override
    public void interrupt() {
        evaluator.interrupt();
    }

    @Override
    public List<String> formatError(Throwable e) {
        List<String> lines = new ArrayList<>();
        if (e instanceof CellException cell) {
            List<String> details = cell.details();
            for (int i = 0; i < details.size(); i++) {
                lines.add(i == 0 ? styler.secondary(details.get(i)) : details.get(i));
            }
            return lines;
        }
        lines.add(styler.secondary("Kernel error: " + e));
        StackTraceElement[] frames = e.getStackTrace();
        for (int i = 0; i < Math.min(INTERNAL_FRAMES_SHOWN, frames.length); i++) {
            lines.add("    at " + frames[i]);
        }
        return lines;
    }

    @Override
    public void onShutdown(boolean isRestarting) {
        try {
            super.onShutdown(isRestarting);
        } finally {
            evaluator.close();
        }
    }

    private static String escapeHtml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
